/**
 * The front's certificate for `https`. `true`: a self-signed certificate made once per project
 * (selfsigned, on Node's WebCrypto) and kept in the state folder, renewed when it is about to
 * expire or does not name the listen host; `{ key, cert }`: the user's files (mkcert's, say).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { stateDir } from '../state-file';

export interface TlsFiles {
  key: string;
  cert: string;
  /** Where they came from, for the start message. */
  source: string;
}

export class TlsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TlsError';
  }
}

/** Days a generated certificate is valid; renewed when fewer than RENEW_DAYS remain. */
const VALID_DAYS = 365;
const RENEW_DAYS = 30;

export async function loadTls(https: true | { key: string; cert: string }, cwd: string, listenHost: string): Promise<TlsFiles> {
  if (https !== true) return readUserFiles(https, cwd);
  const dir = path.join(stateDir(cwd), 'tls');
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const names = certificateNames(listenHost);
  const kept = readKept(keyFile, certFile, names);
  if (kept) return { ...kept, source: `self-signed, ${path.relative(cwd, certFile)}` };
  // A runtime require, so the bundler leaves make-cert in its own file (dist/make-cert.js).
  const load = require;
  const { makeCertificate } = load('./make-cert') as typeof import('./make-cert');
  const pems = await makeCertificate(names, VALID_DAYS);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyFile, pems.key, { mode: 0o600 });
    fs.writeFileSync(certFile, pems.cert, { mode: 0o644 });
  } catch (err) {
    throw new TlsError('SR_TLS_UNWRITABLE', `cannot keep the generated certificate in ${dir}: ${(err as Error).message}. Make the .smooth-reload folder writable.`);
  }
  return { key: pems.key, cert: pems.cert, source: `self-signed, made now, ${path.relative(cwd, certFile)}` };
}

/** What a generated certificate names: the loopback names and the listen host. */
export function certificateNames(listenHost: string): { dns: string[]; ip: string[] } {
  const dns = new Set(['localhost']);
  const ip = new Set(['127.0.0.1', '::1']);
  const host = listenHost.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host)) {
    if (host !== '0.0.0.0' && host !== '::') ip.add(host);
  } else dns.add(host.toLowerCase());
  return { dns: [...dns], ip: [...ip] };
}

/** The kept certificate, when it is still valid for a while, names every name, and matches its key. */
function readKept(keyFile: string, certFile: string, names: { dns: string[]; ip: string[] }): { key: string; cert: string } | undefined {
  let key: string;
  let cert: string;
  try {
    key = fs.readFileSync(keyFile, 'utf8');
    cert = fs.readFileSync(certFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const x509 = new crypto.X509Certificate(cert);
    if (Date.parse(x509.validTo) - Date.now() < RENEW_DAYS * 86_400_000) return undefined;
    if (!names.dns.every((n) => x509.checkHost(n)) || !names.ip.every((ip) => x509.checkIP(ip))) return undefined;
    if (!x509.checkPrivateKey(crypto.createPrivateKey(key))) return undefined;
  } catch {
    return undefined;
  }
  return { key, cert };
}

function readUserFiles(files: { key: string; cert: string }, cwd: string): TlsFiles {
  const read = (what: 'key' | 'cert') => {
    const file = path.resolve(cwd, files[what]);
    try {
      return { file, text: fs.readFileSync(file, 'utf8') };
    } catch (err) {
      throw new TlsError('SR_TLS_FILES', `cannot read the TLS ${what === 'key' ? 'private key' : 'certificate'} "https.${what}" (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Point it at a PEM file, e.g. one made by "mkcert localhost".`);
    }
  };
  const key = read('key');
  const cert = read('cert');
  try {
    const x509 = new crypto.X509Certificate(cert.text);
    if (!x509.checkPrivateKey(crypto.createPrivateKey(key.text))) {
      throw new TlsError('SR_TLS_FILES', `"https.key" (${key.file}) is not the private key of "https.cert" (${cert.file}). Give the pair made together.`);
    }
  } catch (err) {
    if (err instanceof TlsError) throw err;
    throw new TlsError('SR_TLS_FILES', `"https.key"/"https.cert" are not a PEM private key and certificate (${(err as Error).message}).`);
  }
  return { key: key.text, cert: cert.text, source: path.relative(cwd, cert.file) };
}

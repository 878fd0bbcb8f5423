/**
 * Makes a self-signed development certificate (selfsigned, on Node's WebCrypto). Its own bundle
 * (dist/make-cert.js): the X.509 code is about 800 KB that a master without `https: true` never
 * needs to load.
 */
import { generate } from 'selfsigned';

export async function makeCertificate(names: { dns: string[]; ip: string[] }, validDays: number): Promise<{ key: string; cert: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + validDays * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'Smooth Reload development certificate' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.dns.map((value) => ({ type: 2 as const, value })), ...names.ip.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** Renders every folder's findings into one DiagnosticCollection (the Problems panel). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../server/config';
import { DIAGNOSTIC_SOURCE, findingToDiagnostic, type DiagnosticData } from './findings-map';
import type { MasterSession } from './session';

const SEVERITY: Record<DiagnosticData['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class DiagnosticsView implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('smooth-reload');
  /** Findings already reported in the output channel because they had no place in a file. */
  private readonly unplaced = new Set<string>();
  /** What was published last: render() runs on every session change (status polls included). */
  private lastSignature = '';

  constructor(
    private readonly docsUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /** The extension's dist/: stack frames there are the worker bootstrap, not the app. */
    private readonly internalDir: string,
  ) {}

  render(sessions: Iterable<MasterSession>): void {
    const byFile = new Map<string, DiagnosticData[]>();
    for (const session of sessions) {
      const config = path.join(session.folder, CONFIG_FILE_NAME);
      const configFile = fs.existsSync(config) ? config : undefined;
      for (const finding of session.findings.all()) {
        const data = findingToDiagnostic(finding, session.folder, configFile, this.internalDir);
        if (!data) {
          const key = `${finding.code}:${finding.message}`;
          if (!this.unplaced.has(key)) {
            this.unplaced.add(key);
            this.log.warn(`[${finding.code}] ${finding.message}${finding.fix ? ` Fix: ${finding.fix}` : ''}`);
          }
          continue;
        }
        const list = byFile.get(data.file) ?? [];
        list.push(data);
        byFile.set(data.file, list);
      }
    }
    // Unchanged findings are not published again: the Problems panel would redraw for nothing.
    const signature = JSON.stringify([...byFile]);
    if (signature === this.lastSignature) return;
    this.lastSignature = signature;
    this.collection.clear();
    for (const [file, list] of byFile) this.collection.set(vscode.Uri.file(file), list.map((d) => this.toDiagnostic(d)));
  }

  private toDiagnostic(d: DiagnosticData): vscode.Diagnostic {
    const r = d.range;
    const diag = new vscode.Diagnostic(new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter), d.message, SEVERITY[d.severity]);
    diag.source = DIAGNOSTIC_SOURCE;
    diag.code = { value: d.code, target: this.docsUri.with({ fragment: d.docsFragment }) };
    if (d.related.length) {
      diag.relatedInformation = d.related.map((rel) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(rel.file), new vscode.Position(rel.line, 0)), rel.message));
    }
    return diag;
  }

  /** For the test API: what the collection holds. */
  entries(): [vscode.Uri, readonly vscode.Diagnostic[]][] {
    const out: [vscode.Uri, readonly vscode.Diagnostic[]][] = [];
    this.collection.forEach((uri, list) => out.push([uri, list]));
    return out;
  }

  dispose(): void {
    this.collection.dispose();
  }
}

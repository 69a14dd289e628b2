import * as vscode from 'vscode';
import { spawn } from 'node:child_process';

/**
 * Runs `mlw <args> --json` in a child Node process (VS Code's own runtime with ELECTRON_RUN_AS_NODE)
 * and parses its JSON: onnxruntime's session.run blocks its thread, and the extension host must not.
 * Rejects with the command's own error line on a non-zero exit, with an AbortError when cancelled.
 */
export function runMlwJson<T>(extensionUri: vscode.Uri, args: string[], what: string, signal?: AbortSignal): Promise<T> {
  const cli = vscode.Uri.joinPath(extensionUri, 'dist', 'mlw.js').fsPath;
  return new Promise<T>((resolve, reject) => {
    const cancelled = () => new DOMException(`${what} was cancelled`, 'AbortError');
    if (signal?.aborted) return reject(cancelled());
    const child = spawn(process.execPath, [cli, ...args, '--json'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let err = '';
    const onAbort = () => child.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64 * 1024) err += b.toString('utf8');
    });
    child.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(cancelled());
      const stdout = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        const last = err.trim().split('\n').slice(-3).join('\n');
        // The whole stderr rides along (`stderr`), for a caller that logs it and shows one line.
        return reject(Object.assign(new Error(last || `${what} failed (exit ${code ?? sig}) with no output`), { stderr: err }));
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`${what}: unexpected output: ${stdout.slice(0, 300)}`));
      }
    });
  });
}

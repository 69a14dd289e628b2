import type * as vscode from 'vscode';

/** Owns disposables and disposes them together. */
export class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];

  protected track<T extends vscode.Disposable>(d: T): T {
    this.owned.push(d);
    return d;
  }

  dispose(): void {
    for (const d of this.owned.splice(0).reverse()) d.dispose();
  }
}

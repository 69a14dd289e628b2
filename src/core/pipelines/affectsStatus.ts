/**
 * Whether a change to a file (path relative to the pipeline's folder) can change the pipeline's status: anything
 * but ML Workbench's own files outside .mlw/pipelines/ (run folders, caches), git's, node_modules and __pycache__.
 */
export function affectsStatus(rel: string): boolean {
  const p = rel.replace(/\\/g, '/');
  if (p === '.git' || p.startsWith('.git/') || /(^|\/)(node_modules|__pycache__)(\/|$)/.test(p)) return false;
  if (p === '.mlw' || p.startsWith('.mlw/')) return p.startsWith('.mlw/pipelines/');
  return true;
}

/** Project names: what goes into README titles, ONNX metadata and (by default) the folder name. */
export const PROJECT_NAME_MAX = 64;
const NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;

/** Why `name` is not a valid project name, or undefined when it is. */
export function validateProjectName(name: string): string | undefined {
  if (!name) return 'Enter a project name.';
  if (name.length > PROJECT_NAME_MAX) return `A project name has at most ${PROJECT_NAME_MAX} characters.`;
  if (!/^[A-Za-z]/.test(name)) return 'A project name starts with a letter.';
  if (!NAME.test(name)) return "Use letters, digits, '-', '_' and '.' only (no spaces).";
  if (/[._-]$/.test(name)) return 'A project name ends with a letter or digit.';
  return undefined;
}

/** A valid project name made from any text (e.g. a folder name): `My Project!` -> `my-project`. */
export function suggestProjectName(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, PROJECT_NAME_MAX)
    .replace(/[._-]+$/, '');
  return slug || 'ml-project';
}

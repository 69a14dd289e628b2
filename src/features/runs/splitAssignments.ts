/**
 * The params input box's text `k=v, k=v` as `["k=v", "k=v"]`. A comma belongs to the value
 * unless a `key=` follows it, so `layers=64,32, lr=0.1` gives `["layers=64,32", "lr=0.1"]`.
 */
export function splitAssignments(text: string): string[] {
  return text
    .split(/,\s*(?=[^,=\s]+\s*=)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { parse } from 'yaml';
import { parseGate, GateParseError, type Gate } from './parseGate';
import { RegistryError } from './RegistryStore';

export const CONFIG_FILE = 'mlw.yaml';

/**
 * The promotion gates of `name` from `<workspace>/mlw.yaml` (`registry: {NAME: {gates: [...]}}`), parsed; an empty
 * list when the file or the model's entry is absent. A malformed file or gate is a RegistryError naming the gate
 * text and the column.
 */
export async function readGates(workspace: string, name: string): Promise<Gate[]> {
  const file = path.join(workspace, CONFIG_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new RegistryError(`${CONFIG_FILE}: ${(e as Error).message.split('\n')[0]}`);
  }
  const registry = (doc as { registry?: unknown } | null)?.registry;
  if (registry === undefined || registry === null) return [];
  if (typeof registry !== 'object' || Array.isArray(registry))
    throw new RegistryError(`${CONFIG_FILE}: registry must be a map of model names`);
  const entry = (registry as Record<string, unknown>)[name];
  if (entry === undefined || entry === null) return [];
  const gates = (entry as { gates?: unknown }).gates;
  if (gates === undefined || gates === null) return [];
  if (!Array.isArray(gates) || gates.some((g) => typeof g !== 'string'))
    throw new RegistryError(`${CONFIG_FILE}: registry.${name}.gates must be a list of strings, e.g. ["accuracy >= 0.8"]`);
  return (gates as string[]).map((g, i) => {
    try {
      return parseGate(g);
    } catch (e) {
      if (e instanceof GateParseError) throw new RegistryError(`${CONFIG_FILE}: registry.${name}.gates[${i}]: ${e.message}`);
      throw e;
    }
  });
}

/** The engine's container descriptions (list and inspect answers have different shapes) as one ContainerInfo. */

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  /** created | running | paused | restarting | exited | dead | removing */
  state: string;
  health?: 'starting' | 'healthy' | 'unhealthy';
  status: string;
  ports: { hostIp: string; hostPort: number; containerPort: number }[];
  labels: Record<string, string>;
  /** ms since the epoch */
  createdAt: number;
}

type Health = ContainerInfo['health'];

function healthOf(value: unknown): Health {
  return value === 'starting' || value === 'healthy' || value === 'unhealthy' ? value : undefined;
}

/** From the Status text of a list entry: "Up 3 seconds (health: starting)", "Up 1 minute (healthy)". */
export function healthFromStatus(status: string): Health {
  if (/\(health: starting\)/.test(status)) return 'starting';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(healthy\)/.test(status)) return 'healthy';
  return undefined;
}

interface ListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Status?: string;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type?: string }[];
  Labels?: Record<string, string>;
  Created?: number;
}

export function fromListEntry(c: ListEntry): ContainerInfo {
  const ports = (c.Ports ?? [])
    .filter((p) => p.PublicPort !== undefined && (p.Type ?? 'tcp') === 'tcp' && !(p.IP ?? '').includes(':'))
    .map((p) => ({ hostIp: p.IP ?? '', hostPort: p.PublicPort as number, containerPort: p.PrivatePort }));
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image ?? '',
    state: c.State ?? 'unknown',
    health: healthFromStatus(c.Status ?? ''),
    status: c.Status ?? '',
    ports,
    labels: c.Labels ?? {},
    createdAt: (c.Created ?? 0) * 1000,
  };
}

interface InspectAnswer {
  Id: string;
  Name?: string;
  Created?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: { Status?: string; Health?: { Status?: string }; ExitCode?: number; StartedAt?: string; Error?: string };
  NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

export function fromInspect(c: InspectAnswer): ContainerInfo {
  const ports: ContainerInfo['ports'] = [];
  for (const [key, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const [port, proto] = key.split('/');
    if ((proto ?? 'tcp') !== 'tcp' || !bindings) continue;
    for (const b of bindings)
      if (!b.HostIp.includes(':')) ports.push({ hostIp: b.HostIp, hostPort: Number(b.HostPort), containerPort: Number(port) });
  }
  const state = c.State?.Status ?? 'unknown';
  const health = healthOf(c.State?.Health?.Status);
  const status =
    state === 'exited'
      ? `Exited (${c.State?.ExitCode ?? '?'})`
      : `${state[0]?.toUpperCase() ?? ''}${state.slice(1)}${health ? ` (${health})` : ''}`;
  return {
    id: c.Id,
    name: (c.Name ?? '').replace(/^\//, ''),
    image: c.Config?.Image ?? '',
    state,
    health,
    status,
    ports,
    labels: c.Config?.Labels ?? {},
    createdAt: c.Created ? Date.parse(c.Created) : 0,
  };
}

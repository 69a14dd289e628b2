/**
 * A STAND-IN `kubectl` for tests of deployments (no Kubernetes cluster can run here): the pattern of
 * test/system/targets/kubernetesTranscript.test.ts, an executable `kubectl` first on PATH in a temp folder, so this
 * machine's real kubectl is never reached. It records every argv (argv.log) and answers as kubectl does, from a
 * small cluster state it keeps (state.json) and a transcript the test may rewrite between calls (transcript.json):
 *   --context C --namespace NS   a context the transcript does not know: `error: context "C" does not exist`
 *   config current-context       the transcript's currentContext
 *   config view --minify …       the namespace of that context
 *   apply -f FILE                `deployment.apps/NAME created|configured|unchanged`, `service/NAME created|unchanged`
 *                                per object (the file parsed as YAML), the Deployment's image kept in the state
 *   delete -f FILE               `deployment.apps "NAME" deleted`, `service "NAME" deleted` per object of the file
 *                                the state has (removed from it); for one it has not, kubectl's `Error from server
 *                                (NotFound): error when deleting "FILE": deployments.apps "NAME" not found`, exit 1
 *   rollout status deployment/N  kubectl's DeploymentStatusViewer lines, one every 30 ms: "Waiting for deployment
 *                                "N" rollout to finish: 0 of R updated replicas are available...", …, "deployment "N"
 *                                successfully rolled out"; the image must be pullable (its manifest answered by the
 *                                registry over HTTP) and not in transcript.failImages, else it stops after "1 old
 *                                replicas are pending termination..." with `error: deployment "N" exceeded its
 *                                progress deadline` on stderr, exit 1, as kubectl does when the new pods never get
 *                                ready.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface KubectlTranscript {
  currentContext: string;
  /** Context name -> its namespace. */
  contexts: Record<string, string>;
  /** Images whose pods never become ready (a crash loop, say). */
  failImages?: string[];
}

const SCRIPT = `#!${process.execPath}
const fs = require('fs'), path = require('path'), { createRequire } = require('module');
const YAML = createRequire(process.env.FAKE_KUBECTL_REPO + '/package.json')('yaml');
const dir = process.env.FAKE_KUBECTL_DIR;
const t = JSON.parse(fs.readFileSync(path.join(dir, 'transcript.json'), 'utf8'));
const stateFile = path.join(dir, 'state.json');
const state = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {};
const save = () => fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
let a = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'argv.log'), JSON.stringify(a) + '\\n');
const fail = (msg, code = 1) => { process.stderr.write(msg + '\\n'); process.exit(code); };
let context = t.currentContext, namespace;
while (a[0] === '--context' || a[0] === '--namespace') {
  if (a[0] === '--context') context = a[1]; else namespace = a[1];
  a = a.slice(2);
}
if (!(context in t.contexts)) fail('error: context "' + context + '" does not exist');
namespace = namespace ?? t.contexts[context] ?? 'default';
const key = (kind, name) => context + '/' + namespace + '/' + kind + '/' + name;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function pullable(image) {
  const m = /^([^/]+)\\/(.+):([^:/]+)$/.exec(image);
  if (!m) return false;
  const accept = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ');
  try {
    const r = await fetch('http://' + m[1] + '/v2/' + m[2] + '/manifests/' + m[3], { method: 'HEAD', headers: { accept } });
    return r.status === 200;
  } catch { return false; }
}
(async () => {
  if (a[0] === 'config' && a[1] === 'current-context') return void process.stdout.write(t.currentContext + '\\n');
  if (a[0] === 'config' && a[1] === 'view') {
    const c = (a.find((x) => x.startsWith('--context=')) ?? '--context=' + context).slice(10);
    return void process.stdout.write(t.contexts[c] ?? '');
  }
  if (a[0] === 'apply' && a[1] === '-f' && a.length === 3) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(a[2], 'utf8')).map((d) => d.toJS());
    for (const o of docs) {
      const kind = o.kind, name = o.metadata.name;
      const spec = JSON.stringify(o.spec), k = key(kind, name), before = state[k];
      state[k] = { spec, image: kind === 'Deployment' ? o.spec.template.spec.containers[0].image : undefined,
        replicas: o.spec.replicas ?? 1, rolledOut: before && before.spec === spec ? before.rolledOut : false };
      const what = kind === 'Deployment' ? 'deployment.apps' : kind.toLowerCase();
      process.stdout.write(what + '/' + name + ' ' + (!before ? 'created' : before.spec === spec ? 'unchanged' : 'configured') + '\\n');
    }
    return save();
  }
  if (a[0] === 'delete' && a[1] === '-f' && a.length === 3) {
    if (!fs.existsSync(a[2])) fail('error: the path "' + a[2] + '" does not exist');
    const docs = YAML.parseAllDocuments(fs.readFileSync(a[2], 'utf8')).map((d) => d.toJS());
    let missing = false;
    for (const o of docs) {
      const kind = o.kind, name = o.metadata.name, k = key(kind, name);
      const what = kind === 'Deployment' ? 'deployment.apps' : kind.toLowerCase();
      if (state[k]) {
        delete state[k];
        process.stdout.write(what + ' "' + name + '" deleted\\n');
      } else {
        missing = true;
        process.stderr.write('Error from server (NotFound): error when deleting "' + a[2] + '": ' +
          (kind === 'Deployment' ? 'deployments.apps' : kind.toLowerCase() + 's') + ' "' + name + '" not found\\n');
      }
    }
    save();
    return void (missing && process.exit(1));
  }
  if (a[0] === 'rollout' && a[1] === 'status' && a.length === 4 && /^--timeout=\\d+s$/.test(a[3])) {
    const name = a[2].replace(/^deployment\\//, ''), d = state[key('Deployment', name)];
    if (!d) fail('Error from server (NotFound): deployments.apps "' + name + '" not found');
    const say = async (line) => { process.stdout.write(line + '\\n'); await sleep(30); };
    const waiting = 'Waiting for deployment "' + name + '" rollout to finish: ';
    if (!d.rolledOut) {
      if ((t.failImages ?? []).includes(d.image) || !(await pullable(d.image))) {
        await say(waiting + '1 out of ' + d.replicas + ' new replicas have been updated...');
        await say(waiting + '1 old replicas are pending termination...');
        fail('error: deployment "' + name + '" exceeded its progress deadline');
      }
      for (let i = 0; i < d.replicas; i++) await say(waiting + i + ' of ' + d.replicas + ' updated replicas are available...');
      d.rolledOut = true;
      save();
    }
    return void process.stdout.write('deployment "' + name + '" successfully rolled out\\n');
  }
  fail('the stand-in kubectl has no answer for: ' + a.join(' '));
})();
`;

/** Installs the stand-in in `dir` (bin/kubectl); the env to run the CLI with it first on PATH; the argv it saw. */
export function kubectlStandIn(dir: string, transcript: KubectlTranscript) {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'kubectl'), SCRIPT, { mode: 0o755 });
  const setTranscript = (t: KubectlTranscript) => writeFileSync(path.join(dir, 'transcript.json'), JSON.stringify(t));
  setTranscript(transcript);
  writeFileSync(path.join(dir, 'argv.log'), '');
  const argv = (): string[][] =>
    readFileSync(path.join(dir, 'argv.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  return {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_KUBECTL_DIR: dir, FAKE_KUBECTL_REPO: REPO_ROOT },
    argv,
    setTranscript,
    /** The objects the stand-in's cluster has, as CONTEXT/NAMESPACE/KIND/NAME. */
    clusterObjects: (): string[] => {
      try {
        return Object.keys(JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as object).sort();
      } catch {
        return [];
      }
    },
    /** The image the stand-in's cluster runs for a Deployment (after its last apply). */
    clusterImage: (context: string, namespace: string, name: string): string | undefined =>
      (JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as Record<string, { image?: string }>)[
        `${context}/${namespace}/Deployment/${name}`
      ]?.image,
  };
}

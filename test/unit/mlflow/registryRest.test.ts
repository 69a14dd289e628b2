/**
 * The Model Registry REST API of the MLflow endpoint over a workspace's `.mlw/registry/`, and the mirror client that
 * writes it: request and answer shapes against the field names of MLflow's published REST reference
 * (mlflow.RegisteredModel, mlflow.ModelVersion, RegisteredModelAlias), its error codes and HTTP statuses, search
 * filters and paging, and the mirror's idempotence (a second sync sends nothing; a lost mapping is found again by the
 * version's tags, not duplicated). Real HTTP on loopback, real files; MLflow's own server cannot be installed here.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { RunStore } from '../../../src/core/runs/RunStore';
import { startMlflowEndpoint, type MlflowEndpoint } from '../../../src/core/mlflow/startMlflowEndpoint';
import { MlflowClient } from '../../../src/core/mlflow/client/MlflowClient';
import { mirrorRegisteredModel } from '../../../src/core/mlflow/client/RegistryMirror';
import { addVersion, emptyModel, moveAlias } from '../../../src/core/registry/aliasMoves';
import { formatJson, RegistryStore, canonicalModel } from '../../../src/core/registry/RegistryStore';
import type { ModelVersion, RegisteredModel } from '../../../src/core/registry/registryTypes';
import { parseRegistryFilter } from '../../../src/core/mlflow/registrySearch';
import { tempDir } from '../runs/runsTestSupport';

const endpoints: MlflowEndpoint[] = [];
after(async () => {
  for (const ep of endpoints) await ep.close(1000);
});

async function serve(): Promise<{ ws: string; ep: MlflowEndpoint }> {
  const ws = tempDir('mlw-regrest-');
  const ep = await startMlflowEndpoint({ store: new RunStore(ws) });
  endpoints.push(ep);
  return { ws, ep };
}

type Json = Record<string, unknown>;

/** As MLflow's client calls it: GET with the query, other methods with a JSON body; Bearer token, or basic auth. */
async function call(ep: MlflowEndpoint, method: string, endpoint: string, input: Json = {}, user?: string) {
  const headers: Record<string, string> = user
    ? { Authorization: `Basic ${Buffer.from(`${user}:${ep.token}`).toString('base64')}` }
    : { Authorization: `Bearer ${ep.token}` };
  let url = `${ep.url}/api/2.0/mlflow/${endpoint}`;
  let body: string | undefined;
  if (method === 'GET') {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(input)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
    url += `?${q}`;
  } else {
    body = JSON.stringify(input);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers, body });
  return { status: res.status, body: (await res.json()) as Json };
}

const MODEL_VERSION_FIELDS = [
  'aliases',
  'creation_timestamp',
  'current_stage',
  'description',
  'last_updated_timestamp',
  'name',
  'run_id',
  'run_link',
  'source',
  'status',
  'tags',
  'user_id',
  'version',
];
const REGISTERED_MODEL_FIELDS = [
  'aliases',
  'creation_timestamp',
  'description',
  'last_updated_timestamp',
  'latest_versions',
  'name',
  'tags',
  'user_id',
];

function modelFile(ws: string, name: string, bytes: string): string {
  const f = path.join(ws, name);
  writeFileSync(f, bytes);
  return f;
}

describe('Model Registry REST API of mlw mlflow-server', () => {
  it('creates and reads registered models and versions with the published field names and types', async () => {
    const { ws, ep } = await serve();
    const created = await call(ep, 'POST', 'registered-models/create', {
      name: 'clf',
      description: 'iris classifier',
      tags: [{ key: 'team', value: 'ml' }],
    });
    assert.equal(created.status, 200);
    const rm = created.body.registered_model as Json;
    assert.deepEqual(Object.keys(rm).sort(), REGISTERED_MODEL_FIELDS);
    assert.equal(rm.description, 'iris classifier');
    assert.deepEqual(rm.tags, [{ key: 'team', value: 'ml' }]);
    assert.deepEqual(rm.latest_versions, []);
    assert.ok(typeof rm.creation_timestamp === 'number' && rm.creation_timestamp > 1.6e12);

    const file = modelFile(ws, 'm.bin', 'weights');
    const mv = await call(
      ep,
      'POST',
      'model-versions/create',
      { name: 'clf', source: pathToFileURL(file).href, run_id: 'abc123', description: 'first', tags: [{ key: 'k', value: 'v' }] },
      'ana',
    );
    assert.equal(mv.status, 200, JSON.stringify(mv.body));
    const v = mv.body.model_version as Json;
    assert.deepEqual(Object.keys(v).sort(), MODEL_VERSION_FIELDS);
    assert.equal(v.version, '1', 'a version number is a string');
    assert.equal(v.status, 'READY');
    assert.equal(v.current_stage, 'None');
    assert.equal(v.source, pathToFileURL(file).href);
    assert.equal(v.run_id, 'abc123');
    assert.equal(v.user_id, 'ana', "basic auth's user name is the user_id");
    assert.equal(v.description, 'first');
    const tags = Object.fromEntries((v.tags as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]));
    assert.equal(tags.k, 'v');
    assert.match(tags['mlw.sha256'], /^[0-9a-f]{64}$/);
    assert.equal(tags['mlw.version'], '1');

    assert.equal((await call(ep, 'POST', 'registered-models/alias', { name: 'clf', alias: 'champion', version: '1' })).status, 200);
    const got = (await call(ep, 'GET', 'registered-models/get', { name: 'clf' })).body.registered_model as Json;
    assert.deepEqual(got.aliases, [{ alias: 'champion', version: '1' }]);
    assert.deepEqual(((got.latest_versions as Json[])[0] as Json).aliases, ['champion']);
    const byAlias = (await call(ep, 'GET', 'registered-models/alias', { name: 'clf', alias: 'champion' })).body.model_version as Json;
    assert.equal(byAlias.version, '1');
    assert.deepEqual((await call(ep, 'GET', 'model-versions/get-download-uri', { name: 'clf', version: '1' })).body, {
      artifact_uri: pathToFileURL(file).href,
    });
    const latest = await call(ep, 'POST', 'registered-models/get-latest-versions', { name: 'clf', stages: ['None'] });
    assert.deepEqual(
      (latest.body.model_versions as Json[]).map((x) => x.version),
      ['1'],
    );
    const latestGet = await call(ep, 'GET', 'registered-models/get-latest-versions', { name: 'clf' });
    assert.equal(((latestGet.body.model_versions as Json[])[0] as Json).version, '1');

    // The same file, as `mlw registry` reads it: the move recorded with who made it.
    const local = await new RegistryStore(ws).get('clf');
    assert.equal(local.versions[0].notes, 'first');
    assert.equal(local.versions[0].sourceUri, pathToFileURL(file).href);
    assert.deepEqual(
      local.aliasHistory.map((h) => [h.alias, h.from, h.to, h.action, h.by]),
      [['champion', null, 1, 'alias', 'mlflow']],
    );
  });

  it("answers MLflow's error codes with their HTTP statuses", async () => {
    const { ep } = await serve();
    const missing = await call(ep, 'GET', 'registered-models/get', { name: 'nope' });
    assert.deepEqual([missing.status, missing.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
    assert.equal(missing.body.message, 'Registered Model with name=nope not found');
    await call(ep, 'POST', 'registered-models/create', { name: 'clf' });
    const again = await call(ep, 'POST', 'registered-models/create', { name: 'clf' });
    assert.deepEqual([again.status, again.body.error_code], [400, 'RESOURCE_ALREADY_EXISTS']);
    const noVersion = await call(ep, 'GET', 'model-versions/get', { name: 'clf', version: '7' });
    assert.deepEqual([noVersion.status, noVersion.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
    assert.equal(noVersion.body.message, 'Model Version (name=clf, version=7) not found');
    const noAlias = await call(ep, 'GET', 'registered-models/alias', { name: 'clf', alias: 'champion' });
    assert.deepEqual([noAlias.status, noAlias.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);
    const noSource = await call(ep, 'POST', 'model-versions/create', { name: 'clf' });
    assert.deepEqual([noSource.status, noSource.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);
    assert.match(noSource.body.message as string, /'source'/);
    const elsewhere = await call(ep, 'POST', 'model-versions/create', { name: 'clf', source: 's3://b/m.onnx' });
    assert.deepEqual([elsewhere.status, elsewhere.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);
    const noRun = await call(ep, 'POST', 'model-versions/create', { name: 'clf', source: 'runs:/feedbeef/model.onnx' });
    assert.match(noRun.body.message as string, /no run feedbeef/);
    const badVersion = await call(ep, 'GET', 'model-versions/get', { name: 'clf', version: 'one' });
    assert.deepEqual([badVersion.status, badVersion.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);
    const badName = await call(ep, 'POST', 'registered-models/create', { name: 'has space' });
    assert.deepEqual([badName.status, badName.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);
    const wrongMethod = await call(ep, 'POST', 'registered-models/get', { name: 'clf' });
    assert.deepEqual([wrongMethod.status, wrongMethod.body.error_code], [404, 'ENDPOINT_NOT_FOUND']);
    // A file outside the workspace needs the mlw.sha256 tag that proves which bytes it is.
    const outside = modelFile(tempDir('mlw-regrest-out-'), 'x.bin', 'elsewhere');
    const refused = await call(ep, 'POST', 'model-versions/create', { name: 'clf', source: pathToFileURL(outside).href });
    assert.match(refused.body.message as string, /outside this server's workspace/);
  });

  it('searches with filters, orders and pages as MLflow does; DELETE takes a JSON body; tags set and deleted', async () => {
    const { ws, ep } = await serve();
    for (const name of ['alpha', 'beta', 'gamma']) {
      await call(ep, 'POST', 'registered-models/create', { name, tags: [{ key: 'kind', value: name === 'beta' ? 'b' : 'a' }] });
      for (let i = 0; i < 3; i++) {
        const r = await call(ep, 'POST', 'model-versions/create', {
          name,
          source: pathToFileURL(modelFile(ws, `${name}${i}.bin`, `${name}-${i}`)).href,
          run_id: `run${i}`,
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    }
    const names = async (input: Json) =>
      ((await call(ep, 'GET', 'registered-models/search', input)).body.registered_models as Json[]).map((m) => m.name);
    assert.deepEqual(await names({}), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(await names({ filter: "name LIKE '%a%'", order_by: ['name DESC'] }), ['gamma', 'beta', 'alpha']);
    assert.deepEqual(await names({ filter: "tags.kind = 'a'" }), ['alpha', 'gamma']);
    assert.deepEqual(await names({ filter: "name ILIKE 'BE%'" }), ['beta']);

    const page1 = await call(ep, 'GET', 'model-versions/search', { filter: "name='beta'", max_results: 2 });
    assert.deepEqual(
      (page1.body.model_versions as Json[]).map((v) => v.version),
      ['3', '2'],
      'name ASC, then version DESC',
    );
    assert.equal(typeof page1.body.next_page_token, 'string');
    const page2 = await call(ep, 'GET', 'model-versions/search', {
      filter: "name='beta'",
      max_results: 2,
      page_token: page1.body.next_page_token as string,
    });
    assert.deepEqual(
      (page2.body.model_versions as Json[]).map((v) => v.version),
      ['1'],
    );
    assert.equal(page2.body.next_page_token, undefined);
    const byRun = await call(ep, 'GET', 'model-versions/search', { filter: "run_id IN ('run0', 'run2') AND name = 'gamma'" });
    assert.deepEqual(
      (byRun.body.model_versions as Json[]).map((v) => `${v.name}/${v.version}`),
      ['gamma/3', 'gamma/1'],
    );
    const bad = await call(ep, 'GET', 'model-versions/search', { filter: 'metrics.acc > 1' });
    assert.deepEqual([bad.status, bad.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);

    await call(ep, 'POST', 'model-versions/set-tag', { name: 'alpha', version: '2', key: 'validated', value: 'yes' });
    await call(ep, 'POST', 'registered-models/set-tag', { name: 'alpha', key: 'owner', value: 'ana' });
    await call(ep, 'POST', 'registered-models/alias', { name: 'alpha', alias: 'staging', version: '2' });
    assert.equal((await call(ep, 'DELETE', 'registered-models/alias', { name: 'alpha', alias: 'staging' })).status, 200);
    assert.equal((await call(ep, 'DELETE', 'model-versions/delete-tag', { name: 'alpha', version: '2', key: 'validated' })).status, 200);
    const gone = await call(ep, 'DELETE', 'model-versions/delete-tag', { name: 'alpha', version: '2', key: 'validated' });
    assert.deepEqual([gone.status, gone.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
    const upd = await call(ep, 'PATCH', 'model-versions/update', { name: 'alpha', version: '2', description: 'checked' });
    assert.equal((upd.body.model_version as Json).description, 'checked');
    const local = await new RegistryStore(ws).get('alpha');
    assert.deepEqual(local.aliases, {});
    assert.deepEqual(local.tags, { kind: 'a', owner: 'ana' });
    assert.equal(local.versions[1].tags, undefined, 'the tag is gone and the file says nothing of it');
    assert.deepEqual(
      local.aliasHistory.map((h) => [h.alias, h.action]),
      [
        ['staging', 'alias'],
        ['staging', 'delete'],
      ],
    );
  });

  it('reads filters with quoted tag keys, AND inside quotes, and refuses what it cannot read', () => {
    assert.deepEqual(parseRegistryFilter("tags.`mlw.sha256` = 'ab' AND name = 'x AND y'", 'version'), [
      { field: 'tags', tag: 'mlw.sha256', op: '=', values: ['ab'] },
      { field: 'name', op: '=', values: ['x AND y'] },
    ]);
    assert.throws(() => parseRegistryFilter("run_id = 'r'", 'model'), /filters registered models by name and tags/);
  });
});

describe('RegistryMirror', () => {
  function version(ws: string, file: string, bytes: string): Omit<ModelVersion, 'version'> {
    modelFile(ws, file, bytes);
    return {
      registeredAt: new Date().toISOString(),
      registeredBy: 'ana',
      source: { kind: 'file', runId: null },
      path: file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.length,
      signature: null,
      metrics: {},
      recipe: null,
      benchmark: null,
      notes: `notes of ${file}`,
    };
  }

  it('creates what is missing once, maps the numbers, and finds a version again by its tags when the mapping is lost', async () => {
    const { ws: serverWs, ep } = await serve();
    const ws = tempDir('mlw-regmirror-local-');
    const store = new RegistryStore(ws);
    let m: RegisteredModel = emptyModel('clf');
    m = addVersion(m, version(ws, 'a.bin', 'aaa')).model;
    m = addVersion(m, version(ws, 'b.bin', 'bbb')).model;
    m = moveAlias(m, 'champion', 2, {
      action: 'promote',
      at: new Date().toISOString(),
      by: 'ana',
      gates: [{ gate: 'acc >= 0.5', passed: true, detail: 'acc 0.9 >= 0.5' }],
      forced: false,
    });
    await store.write(m);
    // The server already has a version of clf: the numbers differ.
    await call(ep, 'POST', 'registered-models/create', { name: 'clf' });
    await call(ep, 'POST', 'model-versions/create', { name: 'clf', source: pathToFileURL(modelFile(serverWs, 'own.bin', 'own')).href });

    const client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: ep.token } });
    const first = await mirrorRegisteredModel(client, store, 'clf');
    assert.deepEqual(
      first.versions.map((v) => [v.local, v.server, v.created]),
      [
        [1, '2', true],
        [2, '3', true],
      ],
    );
    assert.deepEqual(first.aliasesSet, ['champion=3']);
    assert.deepEqual(first.failed, []);
    const mapped = await store.get('clf');
    assert.deepEqual(
      mapped.versions.map((v) => v.mlflow),
      [
        { uri: ep.url, version: '2' },
        { uri: ep.url, version: '3' },
      ],
    );
    const v3 = (await call(ep, 'GET', 'model-versions/get', { name: 'clf', version: '3' })).body.model_version as Json;
    const tags = Object.fromEntries((v3.tags as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]));
    assert.deepEqual(JSON.parse(tags['mlw.gates']), [{ gate: 'acc >= 0.5', passed: true, detail: 'acc 0.9 >= 0.5' }]);
    assert.equal(tags['mlw.forced'], 'false');
    assert.equal(v3.description, 'notes of b.bin');

    const second = await mirrorRegisteredModel(client, store, 'clf');
    assert.deepEqual([second.versions.filter((v) => v.created).length, second.aliasesSet, second.tagsSet], [0, [], 0]);

    // A sync that died before writing the mapping: the next finds the versions by mlw.sha256 + mlw.version.
    const file = path.join(ws, '.mlw', 'registry', 'clf.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as RegisteredModel;
    for (const v of raw.versions) delete v.mlflow;
    writeFileSync(file, formatJson(canonicalModel(raw)));
    const third = await mirrorRegisteredModel(client, store, 'clf');
    assert.deepEqual(
      third.versions.map((v) => [v.local, v.server, v.created]),
      [
        [1, '2', false],
        [2, '3', false],
      ],
    );
    const all = (await call(ep, 'GET', 'model-versions/search', { filter: "name = 'clf'" })).body.model_versions as Json[];
    assert.equal(all.length, 3, 'no duplicate made');
  });

  it('fails in one line naming the refusal when the token is wrong, and writes nothing locally', async () => {
    const { ep } = await serve();
    const ws = tempDir('mlw-regmirror-auth-');
    const store = new RegistryStore(ws);
    await store.write(addVersion(emptyModel('clf'), version(ws, 'a.bin', 'aaa')).model);
    const before = readFileSync(path.join(ws, '.mlw', 'registry', 'clf.json'), 'utf8');
    const client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 'wrong' } });
    await assert.rejects(mirrorRegisteredModel(client, store, 'clf'), (e: Error) => {
      assert.match(e.message, /HTTP 401 UNAUTHENTICATED.*check the token/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.equal(readFileSync(path.join(ws, '.mlw', 'registry', 'clf.json'), 'utf8'), before);
  });

  it('keeps files without server fields byte-identical (no new keys)', async () => {
    const ws = tempDir('mlw-regmirror-canon-');
    const m = addVersion(emptyModel('x'), version(ws, 'a.bin', 'aaa')).model;
    const text = formatJson(canonicalModel(m));
    assert.doesNotMatch(text, /"mlflow"|"tags"|"sourceUri"|"description"|"createdAt"/);
    const withMirror = canonicalModel({ ...m, versions: [{ ...m.versions[0], mlflow: { uri: 'http://s', version: '4' } }] });
    assert.deepEqual(withMirror.versions[0].mlflow, { uri: 'http://s', version: '4' });
  });
});

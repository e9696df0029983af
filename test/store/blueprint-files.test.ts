// Blueprint files in the database (migration 0003) on both drivers: a folder and its archive go into
// a blueprint's pack and come back out as a local copy byte for byte (chunk boundaries, empty files,
// links, modes), copies are named by storage id and hash, written once however many ask at once, and
// swept when their blueprint is gone; a blueprint deleted before its copy is written gives none.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlueprintFilesCache } from '../../src/store/files/cache.js';
import { CHUNK_BYTES, MissingFilesError, writeBlueprintFiles } from '../../src/store/files/pack.js';
import type { FilesKey } from '../../src/store/repositories/blueprint-files.js';
import { deleteBlueprintRow, insertBlueprint } from '../../src/store/repositories/blueprints.js';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

/** Every entry under `dir`: path → file content (base64), link target, or dir; with the exec bit. */
function treeOf(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, path));
    if (st.isSymbolicLink()) out[path] = `link -> ${readlinkSync(join(dir, path))}`;
    else if (st.isDirectory()) {
      out[path] = 'dir';
      Object.assign(out, treeOf(dir, path));
    } else {
      const exec = st.mode & 0o100 ? 'x ' : '';
      out[path] = `${exec}${readFileSync(join(dir, path)).toString('base64')}`;
    }
  }
  return out;
}

forEachDriver('blueprint files', (fx) => {
  let m: TestManager;
  let scratch: string;
  let n = 0;
  before(async () => {
    m = await startTestManager(fx, {}, null);
    scratch = mkdtempSync(join(tmpdir(), 'stratus-bpf-'));
  });
  after(async () => {
    await m?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A blueprint row with `folder` and `archive` stored as its files. */
  async function stored(folder: string, archive: string): Promise<FilesKey> {
    const [admin] = await m.db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
    return m.db.transaction(async (tx) => {
      const storageId = await insertBlueprint(tx, {
        id: `bp${++n}`,
        visibility: 'tenant',
        tenantId: 0,
        creatorId: admin.id,
        state: 'uploaded',
        mainFileName: 'blueprint.yaml',
        error: null,
        errorTraceback: null,
        requirements: undefined,
        labels: [],
      });
      const sha256 = await writeBlueprintFiles(tx, storageId, { archive, archiveName: 'a.tar.gz', folder });
      await tx.query('UPDATE blueprints SET files_sha256 = $2 WHERE _storage_id = $1', [storageId, sha256]);
      return { storageId, sha256 };
    });
  }

  /** A folder that exercises the pack: big and small files across chunk ends, empty ones, links. */
  function sampleFolder(): { folder: string; archive: string } {
    const root = mkdtempSync(join(scratch, 'src-'));
    const folder = join(root, 'bp');
    mkdirSync(join(folder, 'a', 'b'), { recursive: true });
    mkdirSync(join(folder, 'empty-dir'));
    writeFileSync(join(folder, 'blueprint.yaml'), 'tosca_definitions_version: cloudify_dsl_1_3\n');
    writeFileSync(join(folder, 'big.bin'), randomBytes(2 * CHUNK_BYTES + 12_345));
    writeFileSync(join(folder, 'empty.txt'), '');
    writeFileSync(join(folder, 'a', 'b', 'c.txt'), 'c\n');
    writeFileSync(join(folder, 'a', 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(folder, 'a', 'run.sh'), 0o755);
    for (let i = 0; i < 300; i++) writeFileSync(join(folder, 'a', `small-${i}.txt`), `${i}\n`.repeat(i));
    writeFileSync(join(folder, 'zz-last-empty'), '');
    symlinkSync('b/c.txt', join(folder, 'a', 'link-to-c'));
    const archive = join(root, 'a.tar.gz');
    writeFileSync(archive, randomBytes(CHUNK_BYTES + 777));
    return { folder, archive };
  }

  test('a folder and its archive come back byte for byte, written once for concurrent readers', async () => {
    const { folder, archive } = sampleFolder();
    const key = await stored(folder, archive);
    const dir = join(scratch, 'cache1');
    const cache = new BlueprintFilesCache(m.db, dir);
    // Two readers in this process and one in another (a second cache on the same directory).
    const other = new BlueprintFilesCache(m.db, dir);
    const [a, b, c] = await Promise.all([cache.folder(key), cache.folder(key), other.folder(key)]);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.deepEqual(treeOf(a), treeOf(folder));
    assert.ok(readFileSync(await cache.archive(key)).equals(readFileSync(archive)));
    assert.match(await cache.archive(key), /a\.tar\.gz$/);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
  });

  test('copies are named by storage id and hash: a copy under another hash is never served', async () => {
    const { folder, archive } = sampleFolder();
    const key = await stored(folder, archive);
    const dir = join(scratch, 'cache2');
    const stale = join(dir, 'blueprints', `${key.storageId}-${'0'.repeat(64)}.folder`);
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'blueprint.yaml'), 'stale');
    const cache = new BlueprintFilesCache(m.db, dir);
    const got = await cache.folder(key);
    assert.equal(
      readFileSync(join(got, 'blueprint.yaml'), 'utf8'),
      readFileSync(join(folder, 'blueprint.yaml'), 'utf8'),
    );
    await cache.sweep();
    assert.equal(existsSync(stale), false, 'the copy no stored blueprint owns is swept');
    assert.ok(existsSync(got));

    await deleteBlueprintRow(m.db, key.storageId);
    await cache.sweep();
    assert.deepEqual(readdirSync(join(dir, 'blueprints')), []);
  });

  test('the files of a deleted blueprint: MissingFilesError, and no copy left behind', async () => {
    const { folder, archive } = sampleFolder();
    const key = await stored(folder, archive);
    await deleteBlueprintRow(m.db, key.storageId);
    const rows = await m.db.query('SELECT 1 FROM blueprint_chunks WHERE _blueprint_fk = $1', [key.storageId]);
    assert.equal(rows.length, 0, 'the chunks go with the row');
    const dir = join(scratch, 'cache3');
    const cache = new BlueprintFilesCache(m.db, dir);
    await assert.rejects(cache.folder(key), MissingFilesError);
    await assert.rejects(cache.archive(key), MissingFilesError);
    assert.deepEqual(existsSync(join(dir, 'blueprints')) ? readdirSync(join(dir, 'blueprints')) : [], []);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
  });
});

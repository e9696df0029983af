// Blueprint archives: detect the kind by magic bytes, check every entry before anything is written
// (no `..`, no absolute path, no link that escapes, within the size and file-count limits), then
// extract into a directory the caller owns. Supported: zip, tar, tar.gz, tar.bz2 (rest-api.md §1.3).
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, symlink } from 'node:fs/promises';
import { dirname, join, posix, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, list as tarList } from 'tar';
import bz2 from 'unbzip2-stream';
import yauzl from 'yauzl';

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz' | 'tar.bz2' | 'yaml';

export interface ArchiveLimits {
  /** Total extracted bytes. */
  maxBytes: number;
  /** Most non-directory entries. */
  maxFiles: number;
}

/** A problem with the archive's content; `limit` marks the size and file-count limits. */
export class ArchiveError extends Error {
  constructor(
    message: string,
    readonly limit = false,
  ) {
    super(message);
  }
}

/** Reads the first bytes of a file and names its kind, or undefined when it is none we know. */
export async function detectKind(file: string): Promise<ArchiveKind | undefined> {
  const fh = await open(file, 'r');
  const head = Buffer.alloc(512);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, 512, 0));
  } finally {
    await fh.close();
  }
  const b = head.subarray(0, n);
  if (n >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6))
    return 'zip';
  if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'tar.gz';
  if (n >= 3 && b.toString('latin1', 0, 3) === 'BZh') return 'tar.bz2';
  if (n >= 262 && b.toString('latin1', 257, 262) === 'ustar') return 'tar';
  if (n > 0 && !b.includes(0)) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, Math.max(0, n - 4)));
      return 'yaml';
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The file-name extension the stored archive gets (a YAML upload is stored packed as a tar.gz). */
export const extensionOf = (kind: ArchiveKind): string => (kind === 'yaml' ? 'tar.gz' : kind);

/** Checks one entry name: relative, no `..`, not empty. Returns the normalised relative path. */
export function checkEntryPath(name: string): string {
  const unified = name.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) {
    throw new ArchiveError(`the archive entry \`${name}\` has an absolute path`);
  }
  if (unified.split('/').includes('..')) {
    throw new ArchiveError(`the archive entry \`${name}\` contains \`..\``);
  }
  if (unified.includes('\0')) throw new ArchiveError(`the archive entry \`${name}\` has a NUL in its name`);
  const norm = posix.normalize(unified).replace(/\/+$/, '');
  return norm === '.' ? '' : norm;
}

/** Tracks entries across an archive: totals, limits, and the links seen so far. */
class EntryChecker {
  private bytes = 0;
  private files = 0;
  private readonly links = new Set<string>();

  constructor(private readonly limits: ArchiveLimits) {}

  addLink(path: string): void {
    this.links.add(path);
  }

  /** Returns the normalised path; throws on anything unsafe or over a limit. */
  check(
    name: string,
    type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other',
    size: number,
    linkpath?: string,
  ): string {
    const path = checkEntryPath(name);
    for (const l of this.links) {
      if (path.startsWith(`${l}/`)) {
        throw new ArchiveError(`the archive entry \`${name}\` goes through the link \`${l}\``);
      }
    }
    if (type === 'other')
      throw new ArchiveError(`the archive entry \`${name}\` is not a file, directory or link`);
    if (type !== 'dir') {
      this.files++;
      if (this.files > this.limits.maxFiles) {
        throw new ArchiveError(`the archive holds more than ${this.limits.maxFiles} files`, true);
      }
    }
    if (type === 'file') {
      this.bytes += size;
      if (this.bytes > this.limits.maxBytes) {
        throw new ArchiveError(
          `the extracted blueprint is over the limit of ${Math.round(this.limits.maxBytes / 1024 / 1024)} MB`,
          true,
        );
      }
    }
    if (type === 'symlink' || type === 'hardlink') {
      const raw = (linkpath ?? '').replace(/\\/g, '/');
      const what = `the archive entry \`${name}\` is a ${type === 'symlink' ? 'symbolic' : 'hard'} link to \`${linkpath ?? ''}\``;
      if (!raw || posix.isAbsolute(raw)) throw new ArchiveError(`${what}, outside the blueprint`);
      // Resolve step by step: `..` must not climb out, nor climb back out of a link seen earlier.
      const stack = type === 'symlink' ? path.split('/').slice(0, -1) : [];
      for (const comp of raw.split('/')) {
        if (comp === '' || comp === '.') continue;
        if (comp === '..') {
          if (stack.length === 0) throw new ArchiveError(`${what}, outside the blueprint`);
          if (this.links.has(stack.join('/'))) {
            throw new ArchiveError(`${what}, which climbs out of the link \`${stack.join('/')}\``);
          }
          stack.pop();
        } else stack.push(comp);
      }
      const target = stack.join('/');
      for (const l of this.links) {
        if (type === 'hardlink' && (target === l || target.startsWith(`${l}/`))) {
          throw new ArchiveError(`${what}, which goes through the link \`${l}\``);
        }
      }
      if (type === 'symlink') this.links.add(path);
    }
    return path;
  }
}

/** Caps a stream at `max` bytes (decompression bombs). */
function cap(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(new ArchiveError(`${what} is over the limit once decompressed`, true));
      else cb(null, chunk);
    },
  });
}

/**
 * Extracts `file` (of `kind`) into the empty directory `dest`, after checking every entry, and
 * returns the blueprint's root in it. Throws ArchiveError for any unsafe, corrupt or oversized archive.
 */
export async function extractArchive(
  file: string,
  kind: Exclude<ArchiveKind, 'yaml'>,
  dest: string,
  limits: ArchiveLimits,
  scratch: string,
): Promise<string> {
  await mkdir(dest, { recursive: true });
  try {
    if (kind === 'zip') await extractZip(file, dest, limits);
    else {
      let tarFile = file;
      if (kind === 'tar.bz2') {
        tarFile = join(scratch, 'decompressed.tar');
        // Tar overhead is at most a few headers a file on top of the content.
        const max = limits.maxBytes + (limits.maxFiles + 16) * 3 * 512;
        await pipeline(createReadStream(file), bz2(), cap(max, 'the archive'), createWriteStream(tarFile));
      }
      await extractTar(tarFile, dest, limits);
    }
    // Links are checked against the root that is kept, not the whole extraction.
    const root = await blueprintRoot(dest);
    await checkLinks(root);
    return root;
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError(`the ${kind} archive is corrupt or unreadable: ${(e as Error).message}`);
  }
}

function tarType(t: string): 'file' | 'dir' | 'symlink' | 'hardlink' | 'other' {
  switch (t) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
    case 'GNUDumpDir':
      return 'dir';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    default:
      return 'other';
  }
}

async function extractTar(file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  const checker = new EntryChecker(limits);
  let entries = 0;
  let failure: unknown;
  await tarList({
    file,
    strict: true,
    onReadEntry: (entry) => {
      entries++;
      if (failure) return;
      try {
        checker.check(entry.path, tarType(entry.type), entry.size, entry.linkpath);
      } catch (e) {
        failure = e;
      }
    },
  });
  if (failure) throw failure;
  if (entries === 0) throw new ArchiveError('the archive is empty or not a tar archive');
  await tarExtract({ file, cwd: dest, strict: true, preserveOwner: false, noChmod: true });
}

async function extractZip(file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(
      file,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true },
      (err, z) => (err || !z ? reject(err ?? new Error('cannot open')) : resolve(z)),
    ),
  );
  const checker = new EntryChecker(limits);
  // First pass over the central directory: names, types, declared sizes.
  const entries: { entry: yauzl.Entry; path: string; type: 'file' | 'dir' | 'symlink' }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          const name = (entry.fileName as unknown as Buffer).toString('utf8');
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          const type =
            name.endsWith('/') || mode === 0o040000 ? 'dir' : mode === 0o120000 ? 'symlink' : 'file';
          // A zip symlink stores its target as the content: its target is checked when read below,
          // and entries through it are refused now.
          const path = checker.check(name, type === 'symlink' ? 'file' : type, entry.uncompressedSize);
          if (type === 'symlink') checker.addLink(path);
          entries.push({ entry, path, type });
          zip.readEntry();
        } catch (e) {
          reject(e);
        }
      });
      zip.readEntry();
    });
  } catch (e) {
    zip.close();
    throw e;
  }
  if (entries.length === 0) throw new ArchiveError('the zip archive is empty');
  // Reopen to read contents (lazyEntries has consumed the directory).
  const zip2 = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(
      file,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false },
      (err, z) => (err || !z ? reject(err ?? new Error('cannot open')) : resolve(z)),
    ),
  );
  try {
    const linkChecker = new EntryChecker({
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxFiles: Number.MAX_SAFE_INTEGER,
    });
    let total = 0;
    for (const { entry, path, type } of entries) {
      if (path === '') continue;
      const out = join(dest, ...path.split('/'));
      if (type === 'dir') {
        await mkdir(out, { recursive: true });
        continue;
      }
      await mkdir(dirname(out), { recursive: true });
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        zip2.openReadStream(entry, (err, s) =>
          err || !s ? reject(err ?? new Error('no stream')) : resolve(s),
        ),
      );
      const counter = new Transform({
        transform(chunk: Buffer, _e, cb) {
          total += chunk.length;
          if (total > limits.maxBytes) {
            cb(
              new ArchiveError(
                `the extracted blueprint is over the limit of ${Math.round(limits.maxBytes / 1024 / 1024)} MB`,
                true,
              ),
            );
          } else cb(null, chunk);
        },
      });
      if (type === 'symlink') {
        const chunks: Buffer[] = [];
        for await (const c of stream.pipe(counter)) chunks.push(c as Buffer);
        const target = Buffer.concat(chunks).toString('utf8');
        linkChecker.check(path, 'symlink', 0, target);
        await symlink(target, out);
      } else {
        await pipeline(stream, counter, createWriteStream(out, { flags: 'wx', mode: 0o644 }));
      }
    }
  } finally {
    zip2.close();
  }
}

/** After extraction: every symbolic link must resolve inside `root` (links through links included). */
async function checkLinks(root: string): Promise<void> {
  const realRoot = await realpath(root);
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(abs);
        } catch {
          throw new ArchiveError(
            `the archive entry \`${name}\` is a symbolic link to \`${await readlink(abs)}\`, which does not exist in the blueprint`,
          );
        }
        if (real !== realRoot && !real.startsWith(realRoot + sep)) {
          throw new ArchiveError(
            `the archive entry \`${name}\` is a symbolic link to \`${await readlink(abs)}\`, outside the blueprint`,
          );
        }
      } else if (e.isDirectory()) await walk(abs, name);
    }
  };
  await walk(root, '');
}

/** The blueprint's root inside an extraction: the single top-level directory, or the whole tree. */
export async function blueprintRoot(dest: string): Promise<string> {
  const top = (await readdir(dest)).filter((n) => n !== '__MACOSX');
  if (top.length === 1) {
    const only = join(dest, top[0]);
    if ((await lstat(only)).isDirectory()) return only;
  }
  return dest;
}

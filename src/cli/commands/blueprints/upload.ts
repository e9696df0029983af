// `cfy blueprints upload PATH`: build the archive (or send the given one, or the URL) and PUT it.
import type { Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { archiveBytes, classify } from './archive.js';
import { validateLocally } from './validate.js';

export interface UploadOpts {
  blueprintId?: string;
  blueprintFilename?: string;
  validate?: boolean;
  visibility: Visibility;
  tenantName?: string;
}

export async function upload(c: Ctx, o: UploadOpts, path: string): Promise<string> {
  const src = classify(path, o.blueprintFilename);
  const id = o.blueprintId ?? src.defaultId;
  if (o.validate && src.kind === 'dir') await validateLocally(c, src.dir, src.mainFile);
  const client = c.client({ tenant: o.tenantName });
  if (src.kind === 'url') {
    c.out.info(`Publishing blueprint archive ${src.url}...`);
    await client.blueprints.publish(id, src.url, {
      applicationFileName: src.mainFile,
      visibility: o.visibility,
    });
  } else {
    c.out.info(`Uploading blueprint ${path}...`);
    const archive = await archiveBytes(src);
    await client.blueprints.upload(id, archive, {
      applicationFileName: src.mainFile,
      visibility: o.visibility,
    });
  }
  return id;
}

export async function run(c: Ctx, o: UploadOpts, path: string): Promise<void> {
  const id = await upload(c, o, path);
  c.out.info(`Blueprint uploaded. The blueprint's id is ${id}`);
  if (c.out.json) c.out.jsonValue({ id });
}

// Running uploads and validations: a synchronous upload answers once the blueprint is stored (or its
// failure recorded); an async one (async_upload) answers at once with the new row and goes on in the
// background, tracked so that closing the app waits for it. Scratch dirs never outlive their run.
import { rm } from 'node:fs/promises';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import {
  type BlueprintState,
  findIdHolder,
  getBlueprint,
  setBlueprintState,
} from '../../store/repositories/blueprints.js';
import { type ManagerContext, scopeOf } from '../context.js';
import { commit, idTaken, insertPending, recordFailure, replaceable } from './commit.js';
import { buildJob, receive, type UploadArgs } from './request.js';
import { newWorkDir, prepare, toHttpError, UploadFailure, type UploadJob } from './upload.js';

/** The failed state of an unexpected error, by the state the async upload was in. */
const FAIL_OF: Partial<Record<BlueprintState, BlueprintState>> = {
  pending: 'failed_uploading',
  uploading: 'failed_uploading',
  extracting: 'failed_extracting',
  parsing: 'failed_parsing',
};

export class UploadRunner {
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ManagerContext,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Resolves when every background upload has settled (the app is closing). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Validates: the pipeline up to parsing, nothing stored; a failure is Cloudify's "is invalid". */
  async validate(req: FastifyRequest, id: string, query: UploadArgs): Promise<void> {
    await this.withJob(req, id, query, true, async (job) => {
      await this.runNow(job);
      return false;
    });
  }

  /**
   * Uploads: stored when this resolves, or with async_upload, stored in the background. Returns the
   * blueprint as the API shows it.
   */
  async upload(req: FastifyRequest, id: string, query: UploadArgs): Promise<Record<string, unknown>> {
    let accepted: Record<string, unknown> | undefined;
    await this.withJob(req, id, query, false, async (job, args) => {
      const holder = await findIdHolder(this.ctx.db, job.tenant.id, id);
      if (holder && !replaceable(holder, job.tenant.id)) throw idTaken(job);
      if (args.async_upload === true) {
        accepted = await this.start(req, job);
        return true;
      }
      await this.runNow(job);
      return false;
    });
    return accepted ?? (await getBlueprint(this.ctx.db, scopeOf(req), id)).row;
  }

  /**
   * Reads the request into a job with a fresh scratch dir and runs `fn`. The dir is removed when `fn`
   * is done (so before the answer is sent), unless `fn` handed the job over to the background (true).
   */
  private async withJob(
    req: FastifyRequest,
    id: string,
    query: UploadArgs,
    validateOnly: boolean,
    fn: (job: UploadJob, args: UploadArgs) => Promise<boolean>,
  ): Promise<void> {
    const work = await newWorkDir(this.ctx.resourcesDir);
    let handedOff = false;
    try {
      const received = await receive(req, query, this.ctx, work);
      const job = buildJob(req, id, received, work);
      job.validateOnly = validateOnly;
      handedOff = await fn(job, received.args);
    } finally {
      if (!handedOff) await rm(work, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** The synchronous pipeline: a failure is recorded (not for a validation) and answered as Cloudify does. */
  private async runNow(job: UploadJob): Promise<void> {
    try {
      const prep = await prepare(this.ctx, job, async () => {});
      if (!job.validateOnly) await commit(this.ctx, job, prep);
    } catch (e) {
      if (!(e instanceof UploadFailure)) throw e;
      const f = job.validateOnly
        ? new UploadFailure('invalid', e.message, e.status, e.errorCode, e.traceback)
        : e;
      await recordFailure(this.ctx, job, f);
      throw toHttpError(job.id, f);
    }
  }

  /** async_upload: inserts the row, answers with it, and hands the job over to the background. */
  private async start(req: FastifyRequest, job: UploadJob): Promise<Record<string, unknown>> {
    const sid = await insertPending(this.ctx.db, job, 'url' in job.source ? 'pending' : 'uploading');
    const { row } = await getBlueprint(this.ctx.db, scopeOf(req), job.id);
    const p: Promise<void> = this.runInBackground(job, sid).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return row;
  }

  private async runInBackground(job: UploadJob, sid: number): Promise<void> {
    let current: BlueprintState = 'url' in job.source ? 'pending' : 'uploading';
    try {
      const prep = await prepare(this.ctx, job, async (s) => {
        current = s;
        await setBlueprintState(this.ctx.db, sid, s);
      });
      await commit(this.ctx, job, prep, sid);
    } catch (e) {
      const f =
        e instanceof UploadFailure
          ? e
          : new UploadFailure(
              FAIL_OF[current] ?? 'failed_uploading',
              (e as Error).message,
              400,
              'invalid_blueprint_error',
              (e as Error).stack ?? null,
            );
      await recordFailure(this.ctx, job, f, sid).catch((err) =>
        this.log.error({ err }, 'recording a blueprint failure'),
      );
    } finally {
      await rm(job.work, { recursive: true, force: true }).catch(() => {});
    }
  }
}

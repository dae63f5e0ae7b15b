/**
 * Views (`create` with `viewOn` and `pipeline`): a view is a catalog entry whose options name its source and
 * pipeline; it holds no documents. Reads on a view run the view's pipeline (and the pipelines of the views it is
 * built on) over the source collection, then the read itself, as MongoDB rewrites them into an aggregation.
 */
import type { Collection } from '../catalog/collection';
import { EngineError, ErrorCodes } from '../errors';
import { isPlainObject, type Doc } from '../bson/values';
import type { CommandContext } from './types';

/** MongoDB's limit on views built on views. */
const MAX_VIEW_DEPTH = 20;

export function isView(collection: Collection | undefined): boolean {
  return typeof collection?.options.viewOn === 'string';
}

export function notOnView(ctx: CommandContext, name: string): EngineError {
  return new EngineError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${ctx.db}.${name} is a view, not a collection`);
}

/** Writes, index builds and collection stats are refused on a view, as MongoDB refuses them. */
export function refuseView(ctx: CommandContext, name: string): void {
  if (isView(ctx.catalog.get(ctx.db, name))) throw notOnView(ctx, name);
}

export interface ResolvedView {
  /** The collection the chain of views reads (its name; it may not exist). */
  source: string;
  /** The views' pipelines, innermost first. */
  pipeline: Doc[];
}

/** The source collection and pipeline of a view, or undefined when `name` is not a view. */
export function resolveView(ctx: CommandContext, name: string): ResolvedView | undefined {
  let current = ctx.catalog.get(ctx.db, name);
  if (!isView(current)) return undefined;
  const pipelines: Doc[][] = [];
  let source = name;
  for (let depth = 0; current && isView(current); depth++) {
    if (depth >= MAX_VIEW_DEPTH) throw new EngineError(ErrorCodes.ViewDepthLimitExceeded, `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`);
    pipelines.unshift((current.options.pipeline as Doc[] | undefined) ?? []);
    source = String(current.options.viewOn);
    current = ctx.catalog.get(ctx.db, source);
  }
  return { source, pipeline: pipelines.flat() };
}

const WRITING_STAGES = new Set(['$out', '$merge']);

/** Check the options of a `create` that makes a view. */
export function validateViewOptions(options: Doc): void {
  const { viewOn, pipeline } = options;
  if (viewOn === undefined) {
    if (pipeline !== undefined) throw new EngineError(ErrorCodes.BadValue, "'pipeline' requires 'viewOn' to also be specified");
    return;
  }
  if (typeof viewOn !== 'string') throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'create.viewOn' is the wrong type, expected type 'string'");
  if (viewOn.length === 0) throw new EngineError(ErrorCodes.BadValue, "'viewOn' cannot be empty");
  if (pipeline !== undefined && !Array.isArray(pipeline)) {
    throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'create.pipeline' is the wrong type, expected type 'array'");
  }
  for (const stage of (pipeline as unknown[] | undefined) ?? []) {
    if (!isPlainObject(stage)) throw new EngineError(ErrorCodes.TypeMismatch, 'Each element of the pipeline must be an object');
    const op = Object.keys(stage)[0] ?? '';
    if (WRITING_STAGES.has(op)) throw new EngineError(ErrorCodes.OptionNotSupportedOnView, `${op} cannot be used in a view definition`);
  }
  for (const refused of ['validator', 'capped', 'timeseries', 'clusteredIndex', 'indexOptionDefaults']) {
    if (options[refused] !== undefined) throw new EngineError(ErrorCodes.InvalidOptions, `option not supported on a view: ${refused}`);
  }
  if (options.pipeline === undefined) options.pipeline = [];
}

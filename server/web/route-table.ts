/**
 * The app's route table, read from Express's own router stack: every method and path, and the guards
 * (./access.ts) in front of it. The route-access test walks it to prove every guard is enforced; printing it
 * shows at a glance who may open what (`describeRouteTable`).
 */
import type express from 'express';
import { isGuard, type AccessRule, type Guard } from './access';

export interface RouteEntry {
  method: string;
  path: string;
  /** Guards in the order they run: router-level ones first, then the route's own. */
  guards: AccessRule[];
  /** True when the route's first handler (or a router-level `use` before it) is a guard. */
  guardedFirst: boolean;
}

/** The parts of Express's (router 2.x) internal Layer and Route this needs. */
interface LayerLike {
  handle: unknown;
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean>; stack: LayerLike[] };
}

function stackOf(handle: unknown): LayerLike[] | undefined {
  if (typeof handle !== 'function' && (typeof handle !== 'object' || handle === null)) return undefined;
  const stack = (handle as { stack?: unknown }).stack;
  return Array.isArray(stack) ? (stack as LayerLike[]) : undefined;
}

function joinPaths(prefix: string, path: string): string {
  const joined = `${prefix.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return joined.length > 1 ? joined.replace(/\/+$/, '') : '/';
}

function pathsOf(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.flatMap(pathsOf);
  // A RegExp path cannot be listed as text: shown as such so the reader notices it.
  return [String(raw)];
}

function walk(stack: LayerLike[], prefix: string, inherited: Guard[], entries: RouteEntry[]): void {
  const guards = [...inherited];
  for (const layer of stack) {
    if (layer.route) {
      const routeGuards = layer.route.stack.map((routeLayer) => routeLayer.handle).filter(isGuard);
      const firstHandler = layer.route.stack[0]?.handle;
      for (const routePath of pathsOf(layer.route.path)) {
        for (const method of Object.keys(layer.route.methods).filter((name) => name !== '_all')) {
          entries.push({
            method: method.toUpperCase(),
            path: joinPaths(prefix, routePath),
            guards: [...guards, ...routeGuards].map((guard) => guard.access),
            guardedFirst: guards.length > 0 || isGuard(firstHandler),
          });
        }
      }
      continue;
    }
    const nested = stackOf(layer.handle);
    if (nested) {
      for (const mountPath of pathsOf(layer.rawPath ?? '/')) walk(nested, joinPaths(prefix, mountPath), guards, entries);
      continue;
    }
    if (isGuard(layer.handle) && pathsOf(layer.rawPath ?? '/').every((path) => path === '/')) {
      guards.push(layer.handle);
    }
  }
}

export function listRoutes(app: express.Express): RouteEntry[] {
  const entries: RouteEntry[] = [];
  walk(stackOf(app.router) ?? [], '/', [], entries);
  return entries;
}

/** Who may use a route when all its guards must pass. */
export interface EffectiveAccess {
  kind: 'none' | 'public' | 'signed-in' | 'roles';
  roles: string[];
}

export function effectiveAccess(guards: AccessRule[]): EffectiveAccess {
  if (guards.length === 0) return { kind: 'none', roles: [] };
  const roleRules = guards.filter((rule): rule is Extract<AccessRule, { kind: 'roles' }> => rule.kind === 'roles');
  if (roleRules.length > 0) {
    const [first, ...rest] = roleRules.map((rule) => [...rule.roles] as string[]);
    const roles = (first ?? []).filter((role) => rest.every((list) => list.includes(role)));
    return { kind: 'roles', roles };
  }
  if (guards.some((rule) => rule.kind === 'signed-in')) return { kind: 'signed-in', roles: [] };
  return { kind: 'public', roles: [] };
}

export function describeRouteTable(app: express.Express): string {
  return listRoutes(app)
    .map((entry) => {
      const access = effectiveAccess(entry.guards);
      const who = access.kind === 'roles' ? access.roles.join(', ') : access.kind === 'none' ? 'NO GUARD' : access.kind;
      return `${entry.method.padEnd(6)} ${entry.path.padEnd(56)} ${who}`;
    })
    .join('\n');
}

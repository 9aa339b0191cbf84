/** One node of a graph of work: what it needs, and how it runs once those are done. */
export interface GraphNode<C, R = unknown> {
  name: string;
  /** Names of the nodes whose results this one needs; each must be in the graph. */
  needs: readonly string[];
  run(context: C, results: GraphResults): Promise<R>;
}

/** The results of the nodes that have finished, by name. */
export interface GraphResults {
  get<R>(name: string): R;
  /** A result if that node is in the graph (an optional input), else undefined. */
  maybe<R>(name: string): R | undefined;
}

/**
 * Runs a graph of nodes: each starts as soon as every node it needs has finished, so independent
 * nodes run side by side. On the first failure (or when `stop` is aborted) no further node starts,
 * `stop` is aborted so the running ones end early, and after every started node has settled the
 * first error is thrown — no node is still writing when the caller reports it. Returns every
 * node's result by name.
 */
export async function runGraph<C>(
  nodes: readonly GraphNode<C>[],
  context: C,
  stop: AbortController,
): Promise<Map<string, unknown>> {
  checkGraph(nodes);
  const results = new Map<string, unknown>();
  const view: GraphResults = {
    get: <R>(name: string) => {
      if (!results.has(name)) throw new Error(`stage graph: ${name} has not run`);
      return results.get(name) as R;
    },
    maybe: <R>(name: string) => results.get(name) as R | undefined,
  };
  let first: { error: unknown } | undefined;
  const running = new Map<string, Promise<void>>();
  const start = (node: GraphNode<C>): Promise<void> => {
    const started = running.get(node.name);
    if (started) return started;
    const promise = (async () => {
      const needed = await Promise.allSettled(node.needs.map((name) => start(byName.get(name) as GraphNode<C>)));
      if (needed.some((n) => n.status === 'rejected') || first !== undefined) throw new SkippedNode();
      stop.signal.throwIfAborted();
      results.set(node.name, await node.run(context, view));
    })().catch((error: unknown) => {
      if (error instanceof SkippedNode) throw error;
      first ??= { error };
      stop.abort(error);
      throw error;
    });
    running.set(node.name, promise);
    return promise;
  };
  const byName = new Map(nodes.map((node) => [node.name, node]));
  await Promise.allSettled(nodes.map(start));
  if (first) throw first.error;
  return results;
}

/** A node that did not start because a node it needs failed: not an error of its own. */
class SkippedNode extends Error {}

/** Names are unique, needs exist, and nothing needs itself through others (a programming error). */
function checkGraph(nodes: readonly GraphNode<unknown>[]): void {
  const byName = new Map<string, GraphNode<unknown>>();
  for (const node of nodes) {
    if (byName.has(node.name)) throw new Error(`stage graph: two nodes named ${node.name}`);
    byName.set(node.name, node);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (node: GraphNode<unknown>, path: string[]): void => {
    if (state.get(node.name) === 'done') return;
    if (state.get(node.name) === 'visiting') throw new Error(`stage graph: cycle ${[...path, node.name].join(' -> ')}`);
    state.set(node.name, 'visiting');
    for (const need of node.needs) {
      const needed = byName.get(need);
      if (!needed) throw new Error(`stage graph: ${node.name} needs ${need}, which is not in the graph`);
      visit(needed, [...path, node.name]);
    }
    state.set(node.name, 'done');
  };
  for (const node of nodes) visit(node, []);
}

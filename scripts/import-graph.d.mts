/** Each .ts file under `root` (paths relative to it) with the files its relative imports name. */
export function importGraph(root: string): Map<string, string[]>;
/** The import circles of a graph, each as the files around it, its first file repeated at the end. */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[][];

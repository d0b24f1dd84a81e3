/** Every file path a manifest promises: main, types, bin and each leaf of the exports map. */
export function promisedFiles(manifest: Record<string, unknown>): string[];
/** What is missing from a package folder for it to be packed, as one line, or undefined. */
export function packProblem(dir: string): string | undefined;

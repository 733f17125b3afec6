/**
 * The path of a notebook output's data file: relative to the notebook's folder, resolved to a
 * path under the server root, refused when it leaves the root, as written or through a symlink.
 *
 * #### Notes
 * The browser reaches files only through the Jupyter server: the Contents API (which, in
 * jupyter_server 2, checks paths as written, so it follows a symlink inside the root to anywhere)
 * and `/files/` (tornado's static handler, which from tornado 6.6 answers 403 for a symlink that
 * resolves outside the root). A spec's path is checked as written here, and then the file is asked
 * for once through `/files/` (HEAD, no body): a 403 is a refusal, said as such, before any byte is
 * read. A server whose tornado serves such links gives no sign of them to the browser; the Python
 * side (`locolens.show`, `locolens.analyze`) resolves real paths and refuses them.
 */

/**
 * Resolve `path` against the notebook's folder (`folder`, "" at the server root).
 *
 * @returns the path from the server root.
 * @throws Error with a one-line message when the path is absolute, a URL, has a backslash or a
 *   control character, or leaves the root.
 */
export function resolveNotebookPath(folder: string, path: string): string {
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 197)}…` : path);
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.startsWith('~')) {
    throw new Error(`the path ${shown} must be relative to the notebook's folder (not absolute, not a URL)`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(path)) {
    throw new Error(`the path ${shown} has a backslash or a control character: use / between folders`);
  }
  const parts = folder.split('/').filter(part => part && part !== '.');
  for (const segment of path.split('/')) {
    if (segment === '..') {
      if (parts.length === 0) {
        throw new Error(`the path ${shown} leaves the server root`);
      }
      parts.pop();
    } else if (segment && segment !== '.') {
      parts.push(segment);
    }
  }
  return parts.join('/');
}

/**
 * Ask the server for the file once through `/files/` (HEAD): a refusal (403) is a path that
 * resolves outside the server root (a symlink) or one the server will not serve.
 *
 * @param fetchFiles - a HEAD request of `/files/<path>` with the server's credentials.
 * @throws Error with a one-line message on a 403.
 */
export async function checkServed(path: string, fetchFiles: (path: string) => Promise<{ status: number }>): Promise<void> {
  let status: number;
  try {
    status = (await fetchFiles(path)).status;
  } catch {
    return; // No answer: the read that follows reports it.
  }
  if (status === 403) {
    throw new Error(
      `the path ${JSON.stringify(path.length > 200 ? `${path.slice(0, 197)}…` : path)} is refused by the server: it resolves outside the server root (a symlink pointing out of it?); locolens does not read it`
    );
  }
}

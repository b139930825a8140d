/**
 * A catalog file holds a value the reader cannot accept. The message names the
 * file, line and column and what to change, because the fix is an edit to that
 * file, not to the code.
 */
export class CatalogDataError extends Error {
  override name = 'CatalogDataError';
}

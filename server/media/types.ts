/**
 * What other features know about a stored media file: its reference inside course content and the address a
 * page uses for it. No database code, so courses, learning and views import it without importing the media service.
 */

/** A reference to a stored media file. */
export interface AssetRef {
  assetId: string;
  fileName: string;
  mimeType: string;
  sizeBytes: number;
}

/** The address a page uses for a stored file. */
export function mediaUrl(asset: AssetRef | string): string {
  return `/media/${encodeURIComponent(typeof asset === 'string' ? asset : asset.assetId)}`;
}

/** A picture's `srcset`: each stored width (smaller copies are served with `?width=`; the largest is the original). */
export function mediaSrcset(assetId: string, widths: readonly number[]): string {
  const largest = Math.max(...widths);
  return widths
    .map((width) => `${width === largest ? mediaUrl(assetId) : `${mediaUrl(assetId)}?width=${width}`} ${width}w`)
    .join(', ');
}

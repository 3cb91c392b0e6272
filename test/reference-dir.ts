import { fileURLToPath } from 'node:url';

/**
 * The shared reference specifications (MediaMTX, go2rtc, Home Assistant add-on schemas): the
 * `shared/reference` folder beside the checkout, where the work folder and CI lay it.
 * TOPOSYNC_REFERENCE_DIR points elsewhere.
 */
export const REFERENCE_DIR = process.env.TOPOSYNC_REFERENCE_DIR ?? fileURLToPath(new URL('../../shared/reference', import.meta.url));

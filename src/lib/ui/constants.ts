// Constants of the site's user interface. Each says where its value comes from.

/**
 * Error correction of share-link QR codes: M restores about 15% of damaged modules (ISO/IEC 18004
 * levels L 7%, M 15%, Q 25%, H 30%), enough for a phone camera at an angle or a glare on the
 * screen, while a link of about 100 characters still fits in version 6 (41 x 41 modules).
 */
export const QR_ERROR_CORRECTION = 'M' as const;

/** Quiet zone around a QR code, in modules: the 4 that ISO/IEC 18004 requires for the symbol. */
export const QR_QUIET_ZONE_MODULES = 4;

/**
 * Width a QR code is drawn at, in CSS pixels: 5 px a module for a version-6 code with its quiet
 * zone (49 modules), which a phone camera reads from arm's length, and it fits a 360 px phone
 * screen inside the page's padding.
 */
export const QR_SIZE_PX = 245;

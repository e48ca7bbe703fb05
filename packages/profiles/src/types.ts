// Public types of @lbkit/profiles.

/** Stable error codes of @lbkit/profiles (see the README for meaning and fix). */
export type ProfilesErrorCode = never;

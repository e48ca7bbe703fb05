// Public types of @lbkit/doctor.

/** Stable error codes of @lbkit/doctor (see the README for meaning and fix). */
export type DoctorErrorCode = never;

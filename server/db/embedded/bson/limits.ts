/** MongoDB's largest document (16 MiB): what an insert or update may make, and what a hello tells the driver. */
export const MAX_BSON_BYTES = 16 * 1024 * 1024;

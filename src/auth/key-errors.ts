// Typed failures of key management, so callers (the CLI, the gateway's startup) can tell a
// user's mistake from a broken store.

export class UnknownKeyError extends Error {
  readonly id: string;
  constructor(id: string) {
    super(`unknown key id: ${id}`);
    this.name = 'UnknownKeyError';
    this.id = id;
  }
}

/** What a caller asked `create` for is not a valid key (bad tenant, empty region list...). */
export class InvalidNewKeyError extends Error {
  constructor(detail: string) {
    super(`invalid key: ${detail}`);
    this.name = 'InvalidNewKeyError';
  }
}

/** A record read from the store, or handed to `seedKeys`, does not validate. */
export class InvalidKeyRecordError extends Error {
  constructor(detail: string) {
    super(`invalid key record: ${detail}`);
    this.name = 'InvalidKeyRecordError';
  }
}

/** A change, rotation or revocation the key cannot take (a bad field, a revoked key...). */
export class InvalidKeyChangeError extends Error {
  constructor(detail: string) {
    super(`invalid key change: ${detail}`);
    this.name = 'InvalidKeyChangeError';
  }
}

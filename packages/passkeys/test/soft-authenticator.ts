/** Moved to @org/test-kit so the adapters' tests share it. */
export * from '@org/test-kit/soft-authenticator'

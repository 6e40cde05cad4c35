package cognito

// SecretHash is secretHash, for the tests that have the emulator check it.
var SecretHash = secretHash

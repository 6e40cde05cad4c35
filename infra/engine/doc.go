// Package engine is the local AWS runtime: it runs a SAM template without Docker on top of an AWS
// emulator (moto or LocalStack). Its packages are in the folders below this one; README.md says what
// it emulates and what it refuses. Nothing here imports Orion's code (internal/): engine_test.go holds
// the engine to that.
package engine

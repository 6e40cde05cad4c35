package event

import "embed"

// SchemaFS holds the JSON Schemas, the published contract of the events (and what a schema registry
// would hold): schemas/*.json. Package eventschema compiles and checks against them; it is a package of
// its own so that the functions, which never validate against schemas at run time, do not link the
// schema compiler, whose package initialisation is paid at every cold start
// (docs/adr/0009-package-splits-for-cold-start.md).
//
//go:embed schemas/*.json
var SchemaFS embed.FS

// Package auth is store authorization, "Update Store": the link a shop
// owner opens, the platform's callback that trades the code for tokens, the
// refresher that keeps access tokens fresh and warns before a store's
// authorization lapses, and the books of a store that needs updating (its
// record and its alert). cmd registers the Flow with the engine, to which
// it is a bridge.StoreAuthorization behind `store update`; the CLI's
// `store authorize` runs it without an engine. How a store's authorization
// looks to status and the report (bridge.StoreAuth) is the core's.
//
// It imports bridge and nothing else of the project.
package auth

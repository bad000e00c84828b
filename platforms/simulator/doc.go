// Package simulator is a wire-compatible marketplace for tests, benchmarks,
// the demo and `shopbridge simulate`. It speaks the Shopee Open Platform v2
// dialect as Shopee documents it (the project's marketplace API reference,
// kept outside this repository, section 1), so the real platforms/shopee
// client runs against it with no special case: signatures and the 5-minute
// timestamp window are verified, tokens are issued, expire and are
// refreshed with single-use refresh tokens, the conversation list and
// messages page with the same cursors and ordering quirks, every listed
// message shape is served, and errors come in Shopee's envelope. Its
// choices where the reference is UNVERIFIED are in shopee_unverified.go.
//
// The state (shops, buyers, conversations, messages) and the fault
// injection are shared; a dialect renders them: Shopee's (shopee*.go),
// Lazada's (lazada*.go, served under /rest) and TikTok Shop's (tiktok*.go),
// all on one listener. A shop's Platform picks its dialect.
//
// # Go API
//
//	sim := simulator.New(simulator.Config{
//		Clock: clock,              // bridge.Clock; tests pass a *bridgetest.Clock
//		Seed:  42,                 // deterministic tokens, IDs and buyers
//		PushCallbackURL: "http://127.0.0.1:8080/push/shopee", // optional
//		AccessTokenLifetime: time.Hour, // optional, default 4h
//	})
//	sim.AddShop(simulator.Shop{ShopID: "1001", Site: "MY", Name: "Main"}) // also issues its tokens
//	err := sim.Start(ctx, "127.0.0.1:0") // serves until Close or ctx ends; starts push delivery
//	defer sim.Close()
//	base := sim.URL()                    // "http://127.0.0.1:port": the client's base_url
//	sim.PartnerID(); sim.PartnerKey()    // the partner app it accepts
//	sim.Tokens("1001")                   // current TokenInfo (initial tokens for the bridge's config)
//	sim.StoreConfigs(); sim.StoreConfigYAML() // a config that points a bridge at it (every dialect with shops)
//	sim.LazadaAppYAML(); sim.TikTokAppYAML()  // one dialect's app section
//
//	sim.BuyerSays("1001", "555", "is this in stock?")          // buyer message (+ push)
//	sim.BuyerSends("1001", "555", "image", nil)                // any type, sample content
//	sim.SellerCentreSays("1001", "555", "yes it is")           // seller message not sent through the API
//	sim.Messages("1001"); sim.Conversations("1001")            // everything held, to count lost/duplicated
//	run, _ := sim.StartBuyers(ctx, simulator.BuyerScript{BuyersPerShop: 5, Interval: time.Second, Messages: 100})
//	run.Wait(); run.Sent(); run.Stop()
//
//	id, _ := sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorRateLimit, Path: "get_message", Count: 2})
//	sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse, For: 30 * time.Second}) // outage
//	sim.SetFault(simulator.Fault{Kind: simulator.FaultHTTP5xx, Platform: bridge.PlatformLazada}) // one marketplace down
//	sim.ClearFault(id); sim.ClearFaults(); sim.Faults()
//	sim.ExpireAccessToken("1001"); sim.RevokeTokens("1001"); sim.AuthorizationCode("1001")
//	sim.SetPushCallback(url); sim.LostPushes()
//	sim.Calls(); sim.TotalCalls(); sim.ResetCalls()            // API calls per path
//
// Fault kinds: refuse (connection refused; needs Start), hang, slow (Delay),
// http_5xx (Status), http_429 (RetryAfter), error_server, error_rate_limit,
// drop_pushes, shuffle_pages and repeat_pages. A fault can be limited to a
// Path substring, a ShopID and a Platform (one dialect's requests and
// pushes; a refuse fault with a Platform closes that dialect's connections
// instead of the shared listener), to Count requests, and to a duration For.
//
// # Control API
//
// The same operations are available as JSON under /_sim/ on the simulator's
// listener (GET /_sim/ lists them): POST /_sim/shops, POST /_sim/buyer_says,
// POST /_sim/seller_centre_says, GET /_sim/messages?shop_id=, POST and
// DELETE /_sim/faults, POST /_sim/tokens/expire and /revoke, POST and DELETE
// /_sim/buyers, GET /_sim/calls, GET /_sim/lost_pushes, POST
// /_sim/push_callback, GET /_sim/store_config; per dialect
// /_sim/lazada/… (config, push_callback, push_stats, polling,
// restore_permission, messages, recall, app.yaml) and /_sim/tiktok/…
// (config, webhooks, webhook_url, can_send, quota, messages, app.yaml).
// Durations are Go duration
// strings ("2s"). A refuse fault set through the control API needs "for",
// since the control API shares the refused listener.
package simulator

// Package console is the terminal chat surface of shopbridge: the embedded
// default surface of `shopbridge demo`. It implements bridge.Chat by printing
// one line per event (buyer messages tagged with their thread, store, site and
// buyer; reply statuses; alerts; notices) and reading replies and commands
// from standard input, line by line:
//
//	reply T3 some text     answer the buyer of thread T3 (short: r T3 some text)
//	retry 12               retry failed reply #12
//	/status                run a bridge command (also "! status")
//	threads                list the threads of this session
//	help                   the console's own commands
//
// Threads are tagged T1, T2, … in the order they are opened and map to
// bridge.ThreadRef{Channel: "console", ID: "T3"}; chat messages are C1, C2, …
// With a MetaStore (bridge.State fits) the counters survive restarts, so a
// persistent database never sees a tag reused.
//
// Buyer text is printed as written, minus every control character (ANSI
// escapes, carriage returns, C0/C1 controls, bidi overrides), so a buyer
// cannot repaint the terminal or forge a line; further lines of a message are
// indented for the same reason.
package console

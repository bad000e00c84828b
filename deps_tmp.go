package main

// Temporary: keeps the required modules in go.mod until the packages import them.
import (
	_ "github.com/go-telegram/bot"
	_ "github.com/gorilla/websocket"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/slack-go/slack"
	_ "go.uber.org/fx"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)

func main() {}

// Command minio-healthcheck is the MinIO image's HEALTHCHECK: it exits 0 when the URL given as its only
// argument answers 200 within two seconds, 1 otherwise. The runtime image is distroless (no shell, no curl,
// no mc), so the probe is this small static program, built in the same stage as the server.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: minio-healthcheck URL")
		os.Exit(2)
	}
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, resp.Status)
		os.Exit(1)
	}
}

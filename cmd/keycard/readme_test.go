package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchanneltest"
)

// readmeSkip marks a curl line of README.md that TestREADMECurl does not
// run; the line says why after it. Keep such lines few.
const readmeSkip = "# readme-test: skip"

// readmeCurlLines returns the curl commands of the code blocks of the
// README, each with its continuation lines joined, as a reader copies
// them.
func readmeCurlLines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	inBlock, cmd := false, ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inBlock, cmd = !inBlock, ""
			continue
		}
		if !inBlock {
			continue
		}
		if cmd != "" || strings.HasPrefix(strings.TrimSpace(line), "curl ") {
			cmd += line
			if strings.HasSuffix(line, `\`) {
				cmd = strings.TrimSuffix(cmd, `\`) + " "
				continue
			}
			if !strings.Contains(cmd, readmeSkip) {
				cmds = append(cmds, strings.TrimSpace(cmd))
			}
			cmd = ""
		}
	}
	return cmds
}

// runCurl runs a command line as a reader's shell would, with the real
// curl and the variables given, and returns curl's exit status, the HTTP
// status and the body.
func runCurl(t *testing.T, line string, vars map[string]string) (exit, status int, body string) {
	t.Helper()
	// curl is wrapped to print the status after the body; a clean HOME
	// keeps a ~/.curlrc out, and no proxy variable is passed on.
	script := `curl() { command curl -w '\n%{http_code}' "$@"; }` + "\n" + line
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), 0, string(out)
	} else if err != nil {
		t.Fatalf("run %q: %v", line, err)
	}
	text := strings.TrimRight(string(out), "\n")
	i := strings.LastIndexByte(text, '\n')
	status, _ = strconv.Atoi(text[i+1:])
	return 0, status, text[:max(i, 0)]
}

// errorBody returns body for a failure message when it is an error
// answer; a 2xx answer may hold a key or token, and is left out.
func errorBody(status int, body string) string {
	if status >= 300 {
		return "body " + body
	}
	return "body not shown"
}

// TestREADMECurl runs every curl line of README.md, and the lines the
// demo prints, with the real curl against a demo server: each must exit
// 0 with a 2xx answer. The README's placeholders are filled from the
// demo: $BASE its address, $TOKEN a session of its owner, $KEY its key,
// <property id> Hotel Alfama, $REVISION_ID the revision its feed holds,
// $RATE_PLAN_ID and $ROOM_TYPE_ID a rate plan of Hotel Alfama and its
// room type, $CHANNEL_ID a channel of it.
// A README line marked with readmeSkip is not run.
func TestREADMECurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but curl is not installed: the README's curl lines would go untested")
		}
		t.Skip("curl is not installed")
	}
	lines := readmeCurlLines(t)
	if len(lines) < 5 {
		t.Fatalf("found %d curl lines in README.md, want at least 5: %q", len(lines), lines)
	}

	base, out := start(t, env(nil), "demo", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "demo.db"),
		"--allow-private-webhooks") // the inbound walk-through's channel is a local test server
	feedLine := regexp.MustCompile(`(?m)^\s+(curl .*/booking_revisions/feed)$`)
	out.await(t, feedLine, nil)
	key := regexp.MustCompile(`API key:\s+(kc_\w+)`).FindStringSubmatch(out.String())[1]
	pms := map[string]string{"user-api-key": key}
	_, sess := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"`+demoEmail+`","password":"`+demoPassword+`"}}`)
	_, feed := call(t, "GET", base+"/api/v1/booking_revisions/feed", pms, "")
	vars := map[string]string{
		"BASE":        base,
		"TOKEN":       attr(sess, "token").(string),
		"KEY":         key,
		"REVISION_ID": feed["data"].([]any)[0].(map[string]any)["id"].(string),
	}
	property := props0(t, base+"/api/v1", pms)
	// The channel walk-through's placeholders: a channel the reader made
	// (here with another hotel code than the README's), and a room type and
	// rate plan of the property.
	_, rps := call(t, "GET", base+"/api/v1/rate_plans?filter[property_id]="+property, pms, "")
	rp := rps["data"].([]any)[0].(map[string]any)
	roomType := rp["relationships"].(map[string]any)["room_type"].(map[string]any)["data"].(map[string]any)
	vars["RATE_PLAN_ID"], vars["ROOM_TYPE_ID"] = rp["id"].(string), roomType["id"].(string)
	status, ch := call(t, "POST", base+"/api/v1/channels", pms, `{"channel":{"channel":"OpenChannel","properties":["`+property+`"],
		"settings":{"endpoint":"https://ota.invalid/readme/","hotel_code":"README-TEST"}}}`)
	if status != 201 {
		t.Fatalf("create the walk-through's channel: %d", status)
	}
	vars["CHANNEL_ID"] = ch["data"].(map[string]any)["id"].(string)
	// The inbound walk-through's channel: a real test channel selling DBL at
	// BAR, with hotel code HOTEL-1 as in the README, connected, mapped and
	// active; $INBOUND_KEY is the key its create answer showed.
	rpAttrs := rp["attributes"].(map[string]any)
	occupancy := rpAttrs["options"].([]any)[0].(map[string]any)["occupancy"]
	ota := openchanneltest.New(t, "", "HOTEL-1", keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "DBL", Title: "Double",
		RatePlans: []keycard.MappingRatePlan{{ID: "BAR", Title: "BAR", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: rpAttrs["currency"].(string)}}}}})
	status, ch = call(t, "POST", base+"/api/v1/channels", pms, fmt.Sprintf(`{"channel":{"channel":"OpenChannel","properties":[%q],
		"settings":{"endpoint":%q,"hotel_code":"HOTEL-1"},
		"rate_plans":[{"rate_plan_id":%q,"settings":{"room_type_code":"DBL","rate_plan_code":"BAR","occupancy":%v}}]}}`,
		property, ota.Endpoint(), vars["RATE_PLAN_ID"], occupancy))
	if status != 201 {
		t.Fatalf("create the inbound walk-through's channel: %d %v", status, ch)
	}
	vars["INBOUND_KEY"] = ch["data"].(map[string]any)["attributes"].(map[string]any)["inbound_api_key"].(string)
	if status, act := call(t, "POST", base+"/api/v1/channels/"+ch["data"].(map[string]any)["id"].(string)+"/activate", pms, ""); status != 200 {
		t.Fatalf("activate the inbound walk-through's channel: %d %v", status, act)
	}

	// Subtests are named by the line's path: a line may carry a password.
	pathOf := regexp.MustCompile(`\$BASE(/[^"' ]*)`)
	for i, line := range lines {
		name := fmt.Sprintf("README curl %d", i+1)
		if m := pathOf.FindStringSubmatch(line); m != nil {
			name += " " + m[1]
		}
		t.Run(name, func(t *testing.T) {
			exit, status, body := runCurl(t, strings.ReplaceAll(line, "<property id>", property), vars)
			if exit != 0 || status < 200 || status > 299 {
				t.Errorf("exit %d, HTTP %d, want exit 0 and 2xx; %s", exit, status, errorBody(status, body))
			}
		})
	}

	// The walk-through's channel received keycard's ARI (activation's full
	// sync at least), sent in the background: wait for it, bounded.
	select {
	case <-ota.Received():
	case <-time.After(30 * time.Second):
		t.Error("the inbound walk-through's channel received no ARI from keycard")
	}
	// And its bookings reached the feed.
	if _, fd := call(t, "GET", base+"/api/v1/booking_revisions?filter[property_id]="+property+"&pagination[limit]=100", pms, ""); !strings.Contains(fmt.Sprint(fd), "OPN-OTA-1001") {
		t.Error("the README's channel booking OPN-OTA-1001 is not among the revisions")
	}

	// The demo's own lines, as printed. They hold the key: the subtests
	// are named by the line's path, never by the line.
	printed := regexp.MustCompile(`(?m)^\s+(curl .*)$`).FindAllStringSubmatch(out.String(), -1)
	if len(printed) < 2 {
		t.Fatalf("the demo printed %d curl lines, want 2", len(printed))
	}
	for _, m := range printed {
		_, path, _ := strings.Cut(m[1], base)
		t.Run("demo "+path, func(t *testing.T) {
			exit, status, body := runCurl(t, m[1], nil)
			if exit != 0 || status != 200 || !strings.Contains(body, `"data"`) {
				t.Errorf("exit %d, HTTP %d, want exit 0 and 200 with data; %s", exit, status, errorBody(status, body))
			}
		})
	}
}

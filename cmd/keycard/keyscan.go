package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/tokens"
)

const keyScanUsage = `usage: keycard key scan PATH... [--git] [--report]

Looks through files and directories for keycard API keys: strings of the
key format (kc_ and 46 letters and digits) whose checksum holds, so that
look-alikes are not reported. Each is printed with where it was found, as
its prefix and last four characters, never whole. With --git, every commit
of each git repository among the PATHs is searched too (the whole history:
a key committed and deleted later is still in it), with git on the PATH.
With --report, the live keys of your organisation among those found are
withdrawn at once through the API (you must be signed in with "keycard
login" as the organisation's billing owner).

The exit status is 1 when a key is found, 0 when none is.
`

// scanHit is a key found: where, and on which line.
type scanHit struct {
	where string
	line  int
	token string
}

// keyScanCmd is "keycard key scan".
func keyScanCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fset := newFlagSet("key scan", stdout)
	setUsage(fset, stdout, keyScanUsage)
	git := fset.Bool("git", false, "search every commit of the git repositories among the PATHs too")
	report := fset.Bool("report", false, "withdraw the live keys of your organisation among those found, through the API")
	paths, err := parseInterspersed(fset, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fset.Usage()
		return errors.New("key scan: give the files or directories to search")
	}
	var c *client.Client
	if *report {
		// Signed in first: a scan whose report cannot be sent is wasted.
		if c, _, err = loggedIn(getenv); err != nil {
			return err
		}
	}
	start := time.Now()
	var st scanStats
	hits, err := scanPaths(paths, &st)
	if err != nil {
		return err
	}
	if *git {
		for _, p := range paths {
			h, err := scanGit(ctx, p, &st)
			if err != nil {
				return err
			}
			hits = append(hits, h...)
		}
	}
	took := time.Since(start)
	for _, h := range hits {
		fmt.Fprintf(stdout, "%s:%d: %s\n", h.where, h.line, tokens.Hint(h.token))
	}
	mb := float64(st.bytes) / 1e6
	fmt.Fprintf(stdout, "searched %d files and %d git objects, %.1f MB in %s (%.0f MB/s): %s\n", st.files, st.objects, mb,
		took.Round(time.Millisecond), mb/max(took.Seconds(), 1e-6), keysFound(len(hits)))
	if *report && len(hits) > 0 {
		if err := reportHits(ctx, c, hits, stdout); err != nil {
			return err
		}
	}
	if len(hits) > 0 {
		return fmt.Errorf("%s", keysFound(len(hits)))
	}
	return nil
}

func keysFound(n int) string {
	switch n {
	case 0:
		return "no keycard API key found"
	case 1:
		return "1 keycard API key found"
	}
	return strconv.Itoa(n) + " keycard API keys found"
}

// reportHits reports each distinct key found once, with the first place
// it was found, and prints what became of it.
func reportHits(ctx context.Context, c *client.Client, hits []scanHit, stdout io.Writer) error {
	seen := map[string]bool{}
	var leaks []client.LeakReport
	for _, h := range hits {
		if !seen[h.token] {
			seen[h.token] = true
			leaks = append(leaks, client.LeakReport{Token: h.token, URL: h.where + ":" + strconv.Itoa(h.line)})
		}
	}
	answers, err := c.ReportLeakedKeys(ctx, leaks)
	if err != nil {
		return cliAPIError(err)
	}
	for i, a := range answers {
		what := "not a live key of your organisation: nothing to do"
		if a.Label == "true_positive" {
			what = "a live key of your organisation: withdrawn (or flagged, if the server only flags leaks)"
		}
		fmt.Fprintf(stdout, "reported %s (%s): %s\n", tokens.Hint(leaks[i].Token), leaks[i].URL, what)
	}
	return nil
}

// scanStats count what a scan read.
type scanStats struct {
	mu             sync.Mutex
	files, objects int
	bytes          int64
}

func (s *scanStats) add(files, objects int, n int64) {
	s.mu.Lock()
	s.files += files
	s.objects += objects
	s.bytes += n
	s.mu.Unlock()
}

// scanPaths searches the files under paths, on every CPU, and returns the
// keys found in the order of their files and lines. .git directories are
// left to --git: their objects are compressed.
func scanPaths(paths []string, st *scanStats) ([]scanHit, error) {
	files := make(chan string)
	var mu sync.Mutex
	var hits []scanHit
	var firstErr error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for path := range files {
				b, err := os.ReadFile(path)
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					continue
				}
				st.add(1, 0, int64(len(b)))
				found := findKeys(b, path)
				if len(found) > 0 {
					mu.Lock()
					hits = append(hits, found...)
					mu.Unlock()
				}
			}
		})
	}
	var walkErr error
	for _, root := range paths {
		// A PATH is followed if it is a link; links inside directories
		// are not, as they may lead anywhere (or round in a circle).
		if info, err := os.Stat(root); err != nil {
			walkErr = err
			break
		} else if !info.IsDir() {
			files <- root
			continue
		}
		walkErr = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() {
				files <- path
			}
			return nil
		})
		if walkErr != nil {
			break
		}
	}
	close(files)
	wg.Wait()
	if err := cmp.Or(walkErr, firstErr); err != nil {
		return nil, err
	}
	slices.SortFunc(hits, func(a, b scanHit) int { return cmp.Or(strings.Compare(a.where, b.where), cmp.Compare(a.line, b.line)) })
	return hits, nil
}

// findKeys returns the keys in b, found at where, with their lines.
func findKeys(b []byte, where string) []scanHit {
	var hits []scanHit
	line, counted := 1, 0
	tokens.Find(b, func(off int) {
		for _, c := range b[counted:off] {
			if c == '\n' {
				line++
			}
		}
		counted = off
		hits = append(hits, scanHit{where: where, line: line, token: string(b[off : off+tokens.KeyLen])})
	})
	return hits
}

// scanGit searches every object of the history of the git repository at
// dir (every commit's files and messages, each blob once), if dir is in
// one. A key in a file is reported at the commit that first added that
// file's content, as repo@commit:path.
func scanGit(ctx context.Context, dir string, st *scanStats) ([]scanHit, error) {
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, nil
	}
	if err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--git-dir").Run(); err != nil {
		return nil, nil // not a repository
	}
	list := exec.CommandContext(ctx, "git", "-C", dir, "rev-list", "--all", "--objects")
	cat := exec.CommandContext(ctx, "git", "-C", dir, "cat-file", "--batch=%(objectname) %(objecttype) %(objectsize) %(rest)")
	pipe, err := list.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cat.Stdin = pipe
	out, err := cat.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var listErr, catErr strings.Builder
	list.Stderr, cat.Stderr = &listErr, &catErr
	if err := list.Start(); err != nil {
		return nil, fmt.Errorf("git rev-list: %w", err)
	}
	if err := cat.Start(); err != nil {
		list.Process.Kill()
		list.Wait()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	type blobHit struct {
		object, kind, path string
		hits               []scanHit
	}
	var found []blobHit
	r := bufio.NewReaderSize(out, 1<<20)
	var buf []byte
	var readErr error
	for {
		header, err := r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		fields := strings.SplitN(strings.TrimSuffix(header, "\n"), " ", 4)
		if len(fields) < 3 || fields[1] == "missing" {
			continue
		}
		size, err := strconv.Atoi(fields[2])
		if err != nil {
			readErr = fmt.Errorf("git cat-file: bad header %q", header)
			break
		}
		if cap(buf) < size+1 {
			buf = make([]byte, size+1)
		}
		buf = buf[:size+1] // the content and its newline
		if _, err := io.ReadFull(r, buf); err != nil {
			readErr = err
			break
		}
		kind := fields[1]
		if kind != "blob" && kind != "commit" && kind != "tag" {
			continue // trees hold names and hashes only
		}
		st.add(0, 1, int64(size))
		if h := findKeys(buf[:size], ""); len(h) > 0 {
			path := ""
			if len(fields) == 4 {
				path = fields[3]
			}
			found = append(found, blobHit{object: fields[0], kind: kind, path: path, hits: h})
		}
	}
	if readErr != nil {
		cat.Process.Kill()
		list.Process.Kill()
	}
	werr1, werr2 := list.Wait(), cat.Wait()
	if readErr != nil {
		return nil, fmt.Errorf("read git objects of %s: %w", dir, readErr)
	}
	if werr1 != nil {
		return nil, fmt.Errorf("git rev-list in %s: %v: %s", dir, werr1, strings.TrimSpace(listErr.String()))
	}
	if werr2 != nil {
		return nil, fmt.Errorf("git cat-file in %s: %v: %s", dir, werr2, strings.TrimSpace(catErr.String()))
	}
	var hits []scanHit
	for _, f := range found {
		where := dir + "@" + short(f.object) + " (" + f.kind + ")"
		if f.kind == "blob" {
			commit, err := firstCommit(ctx, dir, f.object)
			if err != nil {
				return nil, err
			}
			where = dir + "@" + short(commit) + ":" + f.path
		}
		for _, h := range f.hits {
			h.where = where
			hits = append(hits, h)
		}
	}
	slices.SortFunc(hits, func(a, b scanHit) int { return cmp.Or(strings.Compare(a.where, b.where), cmp.Compare(a.line, b.line)) })
	return hits, nil
}

// firstCommit returns the oldest commit that added the blob object, by
// its hash: the key never appears on git's command line.
func firstCommit(ctx context.Context, dir, object string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "--all", "--reverse", "--format=%H", "--find-object="+object).Output()
	if err != nil {
		return "", fmt.Errorf("git log --find-object in %s: %w", dir, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return cmp.Or(first, object), nil
}

func short(hash string) string { return hash[:min(12, len(hash))] }

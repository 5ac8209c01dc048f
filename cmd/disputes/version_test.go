package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionLine(t *testing.T) {
	t.Parallel()
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"released", &debug.BuildInfo{GoVersion: "go1.24.0", Main: debug.Module{Version: "v1.2.3"}}, true,
			"disputes v1.2.3 go1.24.0"},
		{"from a clone", &debug.BuildInfo{GoVersion: "go1.24.0", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "3521e7e0", "vcs.time", "2026-12-02T05:00:00Z", "vcs.modified", "true")}, true,
			"disputes (devel) (revision 3521e7e0, 2026-12-02T05:00:00Z, modified) go1.24.0"},
		{"clean tree", &debug.BuildInfo{GoVersion: "go1.24.0", Settings: vcs("vcs.revision", "abc", "vcs.modified", "false")}, true,
			"disputes (devel) (revision abc) go1.24.0"},
		{"no build info", nil, false, "disputes (unknown version: no build information)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, versionLine(tc.info, tc.ok))
		})
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "", "version")
	require.Equal(t, 0, code)
	info, ok := debug.ReadBuildInfo()
	assert.Equal(t, versionLine(info, ok)+"\n", out, "the running binary's own build information")
	code, _, _ = runCLI(t, "", "version", "extra")
	assert.Equal(t, 2, code)
}

// TestHelpCommand: "help CMD" prints that command's usage to stdout (it
// printed the general help), for every command; an unknown one is 2.
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "", "help", "exec")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, "Usage: disputes exec"), out)
	assert.Contains(t, out, "-stop-on-error")
	assert.NotContains(t, out, "Commands:", "not the general help")

	for _, name := range commandNames(t) {
		code, out, errOut := runCLI(t, "", "help", name)
		assert.Equal(t, 0, code, "help %s: %s", name, errOut)
		assert.Contains(t, out, "Usage: disputes "+name, "help %s", name)
	}

	code, out, errOut = runCLI(t, "", "help", "tokens", "add")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, "Usage: disputes tokens add"), out)

	code, _, errOut = runCLI(t, "", "help", "nonsense")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown command "nonsense"`)
}

// commandNames lists the top-level commands of the CLI's model.
func commandNames(t *testing.T) []string {
	t.Helper()
	p, err := newParser(env{})
	require.NoError(t, err)
	var names []string
	for _, c := range p.Model.Children {
		names = append(names, c.Name)
	}
	require.Greater(t, len(names), 15)
	return names
}

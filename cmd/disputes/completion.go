package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// completionCmd is `disputes completion bash|zsh|fish`: a completion script
// written from the command tree itself, so it knows every command and flag
// this build has.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" placeholder:"bash|zsh|fish" help:"the shell to complete in"`
}

// Help says where each script goes.
func (c *completionCmd) Help() string {
	return "bash: source <(disputes completion bash), or save it as /etc/bash_completion.d/disputes. " +
		"zsh: source <(disputes completion zsh) in ~/.zshrc. " +
		"fish: disputes completion fish > ~/.config/fish/completions/disputes.fish."
}

func (c *completionCmd) Run(k *kong.Kong, e env) error {
	cmds := completionTree(k.Model.Node, nil)
	switch c.Shell {
	case "bash":
		writeBashCompletion(e.stdout, cmds)
	case "zsh":
		// zsh runs bash completion functions through bashcompinit.
		fmt.Fprint(e.stdout, "#compdef disputes\nautoload -U +X bashcompinit && bashcompinit\n")
		writeBashCompletion(e.stdout, cmds)
	case "fish":
		writeFishCompletion(e.stdout, cmds)
	}
	return nil
}

// completionNode is a command as completion sees it: its path below the
// application, its subcommands and its flags.
type completionNode struct {
	path  []string
	help  string
	subs  []completionSub
	flags []completionFlag
}

type completionSub struct{ name, help string }

type completionFlag struct {
	name      string // without dashes
	help      string
	takesArg  bool
	negatable bool
}

// completionTree lists n and every command below it, parents first.
func completionTree(n *kong.Node, path []string) []completionNode {
	node := completionNode{path: path, help: n.Help}
	for _, group := range n.AllFlags(true) {
		for _, f := range group {
			node.flags = append(node.flags, completionFlag{
				name: f.Name, help: f.Help, takesArg: !f.IsBool() && !f.IsCounter(), negatable: f.Tag.Negatable != "",
			})
		}
	}
	sort.Slice(node.flags, func(i, j int) bool { return node.flags[i].name < node.flags[j].name })
	out := []completionNode{node}
	for _, c := range n.Children {
		if c.Type != kong.CommandNode || c.Hidden {
			continue
		}
		out[0].subs = append(out[0].subs, completionSub{c.Name, c.Help})
		out = append(out, completionTree(c, append(append([]string{}, path...), c.Name))...)
	}
	return out
}

func (n completionNode) subWords() string {
	var w []string
	for _, s := range n.subs {
		w = append(w, s.name)
	}
	return strings.Join(w, " ")
}

func (n completionNode) flagWords() string {
	var w []string
	for _, f := range n.flags {
		w = append(w, "--"+f.name)
		if f.negatable {
			w = append(w, "--no-"+f.name)
		}
	}
	return strings.Join(w, " ")
}

// writeBashCompletion writes a function that finds the command being typed
// (the known command words among the line's words), then offers its
// subcommands, or its flags for a word starting with "-"; elsewhere, as
// after a flag that takes a value, bash completes file names.
func writeBashCompletion(w io.Writer, cmds []completionNode) {
	var paths []string
	for _, c := range cmds[1:] {
		paths = append(paths, fmt.Sprintf("%q", "/"+strings.Join(c.path, "/")))
	}
	fmt.Fprintf(w, `# bash completion for disputes, written by 'disputes completion bash'.
_disputes() {
    local cur="${COMP_WORDS[COMP_CWORD]}" path="" i subs="" flags=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "$path/${COMP_WORDS[i]}" in
        %s) path="$path/${COMP_WORDS[i]}" ;;
        esac
    done
    case "$path" in
`, strings.Join(paths, "|"))
	for _, c := range cmds {
		p := ""
		if len(c.path) > 0 {
			p = "/" + strings.Join(c.path, "/")
		}
		fmt.Fprintf(w, "    %q) subs=%q flags=%q ;;\n", p, c.subWords(), c.flagWords())
	}
	fmt.Fprint(w, `    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    elif [[ -n $subs ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    fi
}
complete -o default -F _disputes disputes
`)
}

// writeFishCompletion writes one `complete` line per subcommand and flag,
// each guarded by the commands seen so far on the line.
func writeFishCompletion(w io.Writer, cmds []completionNode) {
	fmt.Fprintln(w, "# fish completion for disputes, written by 'disputes completion fish'.")
	for _, c := range cmds {
		cond := fishCondition(c.path)
		for _, s := range c.subs {
			subCond := cond
			if len(c.subs) > 0 {
				subCond = andFish(cond, "not __fish_seen_subcommand_from "+subNames(c.subs))
			}
			fmt.Fprintf(w, "complete -c disputes -f -n %s -a %s -d %s\n", fishQuote(subCond), s.name, fishQuote(s.help))
		}
		for _, f := range c.flags {
			req := ""
			if f.takesArg {
				req = " -r"
			}
			fmt.Fprintf(w, "complete -c disputes -n %s -l %s%s -d %s\n", fishQuote(cond), f.name, req, fishQuote(f.help))
			if f.negatable {
				fmt.Fprintf(w, "complete -c disputes -n %s -l no-%s -d %s\n", fishQuote(cond), f.name, fishQuote("not: "+f.help))
			}
		}
	}
}

func fishCondition(path []string) string {
	if len(path) == 0 {
		return "__fish_use_subcommand"
	}
	var parts []string
	for _, p := range path {
		parts = append(parts, "__fish_seen_subcommand_from "+p)
	}
	return strings.Join(parts, "; and ")
}

func andFish(a, b string) string {
	if a == "__fish_use_subcommand" {
		return a
	}
	return a + "; and " + b
}

func subNames(subs []completionSub) string {
	var n []string
	for _, s := range subs {
		n = append(n, s.name)
	}
	return strings.Join(n, " ")
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

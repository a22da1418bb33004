"""What every layer shares and nothing else owns: text helpers for prompts (fences, sandboxed templates)."""

"""What every layer shares and nothing else owns: the string catalogue, the fence, the prompt sandbox."""

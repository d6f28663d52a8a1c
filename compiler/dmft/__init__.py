"""The `dmft` theory kind's derivation (Model IR → sample-side loss derivatives); see DMFT.md."""

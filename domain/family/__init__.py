"""The family: accounts and sign-in, the dossier, its record, documents and quotient."""

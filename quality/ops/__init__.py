"""Running the portal for a council or a region (issue 17, docs/deploy.md): files shared between
machines, one watched beat, the health endpoint, logs and metrics, backups that are restored."""

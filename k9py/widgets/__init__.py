"""The dashboard's widgets: header, prompt, crumbs, flash line, key hints, dialogs and the resource table."""

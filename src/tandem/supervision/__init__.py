"""The supervision feed (监管报送, issue 20 item 5): what supervision reads, one Asia/Shanghai day at a time,
as JSON Lines per kind with a manifest of their SHA-256 digests signed by the platform's Ed25519 key
(``feed`` gathers the records, ``signing`` writes and verifies an export, ``endpoints`` serves the same
content read-only, ``cli`` is ``tandem export``)."""

"""Course authoring: the course library, lessons, their text, videos and attachments."""

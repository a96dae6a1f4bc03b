"""Running surveys: waves, invitations, answering and history import (database side)."""

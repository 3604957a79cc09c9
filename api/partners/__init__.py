"""Partners: a residential home, school or detached youth worker reports a place or a
peer group of concern; it reaches the area's hub queue."""

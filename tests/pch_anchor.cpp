// Gives the shared precompiled-header target a translation unit.

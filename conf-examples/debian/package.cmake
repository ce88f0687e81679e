# The Debian package, included by the top CMakeLists.txt. In the build directory:
#
#   cpack -G DEB     ->  libapache2-mod-ocsp-refresh_<version>_<arch>.deb
#
# Laid out like Debian's own libapache2-mod-* packages: the module in httpd's
# module directory, ocsp_refresh.load/.conf in mods-available (conffiles),
# the store's state directory, README and an example vhost in
# /usr/share/doc/<package>/, and maintainer scripts (postinst, prerm, postrm
# in this directory) that enable, disable and purge through
# apache2-maintscript-helper as dh_apache2's do.
#
# Two install components: "module" (the .so, all that a plain `cmake
# --install` installs) and "debian" (the files only the package ships:
# EXCLUDE_FROM_ALL, so a source install never overwrites an admin's /etc).

set(OCSPR_DEB_PACKAGE libapache2-mod-ocsp-refresh)
set(OCSPR_DEB_MODULE ocsp_refresh)                        # the a2enmod name
set(OCSPR_DEB_MODS_AVAILABLE /etc/apache2/mods-available)
set(OCSPR_DEB_STORE /var/lib/apache2/ocsp-refresh)        # OCSPRefreshStore in the .conf
set(OCSPR_DEB_DOC /usr/share/doc/${OCSPR_DEB_PACKAGE})
set(OCSPR_PACKAGE_MAINTAINER "mod_ocsp_refresh maintainers <root@localhost>"
    CACHE STRING "Maintainer field of the Debian package")

set(_deb_src ${CMAKE_SOURCE_DIR}/conf-examples)
set(_deb_out ${CMAKE_BINARY_DIR}/debian-control)

# The .load names the module by its installed path; a different httpd
# module directory would make the packaged .load point at nothing.
file(STRINGS ${_deb_src}/ocsp_refresh.load _deb_load REGEX "^LoadModule ")
if(NOT _deb_load MATCHES " ${HTTPD_LIBEXECDIR}/mod_ocsp_refresh.so$")
  message(WARNING "conf-examples/ocsp_refresh.load (${_deb_load}) does not load "
                  "${HTTPD_LIBEXECDIR}/mod_ocsp_refresh.so, where the package installs it")
endif()

install(FILES ${_deb_src}/ocsp_refresh.load ${_deb_src}/ocsp_refresh.conf
        DESTINATION ${OCSPR_DEB_MODS_AVAILABLE} COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${CMAKE_SOURCE_DIR}/README ${_deb_src}/vhost-example.conf
        DESTINATION ${OCSPR_DEB_DOC} COMPONENT debian EXCLUDE_FROM_ALL)
# Empty here; postinst hands it to www-data with mode 0700.
install(DIRECTORY DESTINATION ${OCSPR_DEB_STORE} COMPONENT debian EXCLUDE_FROM_ALL)

# Control files: every file under /etc is a conffile; the scripts get the
# module name and the store path from the variables above.
file(WRITE ${_deb_out}/conffiles
     "${OCSPR_DEB_MODS_AVAILABLE}/ocsp_refresh.load\n${OCSPR_DEB_MODS_AVAILABLE}/ocsp_refresh.conf\n")
foreach(_script postinst prerm postrm)
  configure_file(${_deb_src}/debian/${_script}.in ${_deb_out}/${_script} @ONLY)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${OCSPR_DEB_PACKAGE})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${OCSPR_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OCSP stapling for Apache, prefetched and refreshed in the background")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"mod_ocsp_refresh takes over OCSP stapling from mod_ssl for the virtual hosts
that say `OCSPRefresh On`: responses are fetched before the first handshake,
refreshed long before they expire, validated before they are stapled, kept
in a shared cache and on disk across restarts, and certificate chain
problems are reported at `apachectl -t` with the exact fix.")
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)        # as Debian ships modules; the build tree keeps the symbols
# The shared libraries' packages (dpkg-shlibdeps), plus httpd's module ABI
# and the release that has the stapling hooks (2.4.48).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "apache2-api-20120211, apache2-bin (>= 2.4.48)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_deb_out}/conffiles ${_deb_out}/postinst ${_deb_out}/prerm ${_deb_out}/postrm)
# Modes by Debian policy (scripts 0755, conffiles 0644), not the build tree's.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Both components in one package.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL module debian)
include(CPack)
